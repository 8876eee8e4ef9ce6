from .config_loading import load_config
from .config_lookup import find_config
from .data_checks import check_data_roots
from .dist_backend import (adapt_dist_backend, finish_distributed,
                           process_rank)
from .model_building import (build_model_offline, count_parameters,
                             quiet_init_log)
from .offline import strip_pretrained

__all__ = [
    'find_config', 'load_config', 'check_data_roots', 'strip_pretrained',
    'adapt_dist_backend', 'finish_distributed', 'build_model_offline',
    'count_parameters', 'process_rank', 'quiet_init_log'
]
