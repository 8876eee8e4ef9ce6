"""Choosing the distributed backend the machine supports."""
import torch
from mmengine.config import Config


def adapt_dist_backend(cfg: Config) -> None:
    """Use ``gloo`` instead of ``nccl`` when CUDA is not available."""
    env = cfg.setdefault('env_cfg', {})
    dist_cfg = env.setdefault('dist_cfg', {})
    if dist_cfg.get('backend', 'nccl') == 'nccl' and \
            not torch.cuda.is_available():
        dist_cfg['backend'] = 'gloo'
