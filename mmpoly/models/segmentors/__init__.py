from .multitask_segmentor import (MultiTaskSegmentor, accumulate_log_vars,
                                  backward_without_step)

__all__ = [
    'MultiTaskSegmentor', 'backward_without_step', 'accumulate_log_vars'
]
