"""Building a config's model offline and counting its parameters."""
import contextlib
import logging
from typing import Iterator, Tuple

import torch.nn as nn
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from .config_loading import load_config
from .offline import strip_pretrained


@contextlib.contextmanager
def quiet_init_log() -> Iterator[None]:
    """MMEngine's current logger at WARNING inside the block.

    Building a model logs every parameter's initialisation at INFO level;
    tools that build models print their own results instead.
    """
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


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
    if not quiet:
        return MODELS.build(model_cfg)
    with quiet_init_log():
        return MODELS.build(model_cfg)


def count_parameters(model: nn.Module) -> Tuple[int, int]:
    """``(trainable, total)`` parameter counts of ``model``.

    Every module is counted; a tensor shared by several modules counts
    once; trainable means ``requires_grad``.
    """
    params = list(model.parameters())  # de-duplicated by PyTorch
    trainable = sum(p.numel() for p in params if p.requires_grad)
    return trainable, sum(p.numel() for p in params)
