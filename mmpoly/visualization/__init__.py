from .multitask_visualizer import MultiTaskLocalVisualizer

__all__ = ['MultiTaskLocalVisualizer']
