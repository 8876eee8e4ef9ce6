"""Building a config's model offline and counting its parameters."""
import logging
from typing import Tuple

import torch.nn as nn
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from .config_loading import load_config
from .offline import strip_pretrained


def build_model_offline(config: str, quiet: bool = True) -> nn.Module:
    """Build the model of ``config`` without data and without weights.

    Pretrained-weight loading is stripped from the config (random
    initialisation, no download).

    Args:
        config: Config path or short name.
        quiet: Silence MMEngine's per-parameter initialisation log.
    """
    cfg = load_config(config)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model_cfg = strip_pretrained(cfg.model.to_dict())
    logger = MMLogger.get_current_instance()
    level = logger.level
    if quiet:
        logger.setLevel(logging.WARNING)
    try:
        return MODELS.build(model_cfg)
    finally:
        logger.setLevel(level)


def count_parameters(model: nn.Module) -> Tuple[int, int]:
    """``(trainable, total)`` parameter counts of ``model``.

    Every module is counted; a tensor shared by several modules counts
    once; trainable means ``requires_grad``.
    """
    params = list(model.parameters())  # de-duplicated by PyTorch
    trainable = sum(p.numel() for p in params if p.requires_grad)
    return trainable, sum(p.numel() for p in params)
