from .multitask_inferencer import MultiTaskInferencer

__all__ = ['MultiTaskInferencer']
