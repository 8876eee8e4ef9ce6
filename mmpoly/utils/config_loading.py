"""Loading a config the way every mmpoly tool does."""
import copy
from typing import Optional, Union

from mmengine.config import Config

from .config_lookup import find_config


def load_config(path: Union[str, Config],
                cfg_options: Optional[dict] = None) -> Config:
    """Load a config (path or short name, or a copy of a loaded
    :class:`Config`), merge ``cfg_options``, and give its top-level
    ``tasks`` to the model, data sets and metrics
    (:func:`mmpoly.engine.apply_config_tasks`)."""
    from ..engine.config_tasks import apply_config_tasks
    if isinstance(path, Config):
        cfg = copy.deepcopy(path)
    else:
        cfg = Config.fromfile(find_config(path))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return apply_config_tasks(cfg)
