from .multitask_segmentor import MultiTaskSegmentor, backward_without_step

__all__ = ['MultiTaskSegmentor', 'backward_without_step']
