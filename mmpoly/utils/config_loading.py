"""Loading a config the way every mmpoly tool does."""
import copy
import inspect
from typing import Optional, Union

from mmengine.config import Config

from .config_lookup import find_config
from .error_hints import closest
from .numeric_settings import check_numeric_settings, check_option_types

#: Top-level keys a config may gain from ``--cfg-options`` although it does
#: not have them yet: the Runner's arguments and what mmpoly's tools read.
EXTRA_TOP_LEVEL_KEYS = ('runner_type', 'custom_imports', 'tasks',
                        'checkpoint_strict')


def _runner_keys() -> set:
    from mmengine.runner import Runner
    return set(inspect.signature(Runner.__init__).parameters) - {'self'}


def check_option_keys(cfg: Config, cfg_options: dict, source: str) -> None:
    """Refuse ``--cfg-options`` whose top-level key the config does not
    have and no runner argument is called (a typo would otherwise be
    ignored).

    Raises:
        KeyError: naming the option and the closest real keys.
    """
    known = set(cfg.keys()) | _runner_keys() | set(EXTRA_TOP_LEVEL_KEYS)
    for option in cfg_options:
        top = option.split('.', 1)[0]
        if top not in known:
            near = closest(top, sorted(known))
            hint = ('; did you mean ' + ' or '.join(repr(n) for n in near) +
                    '?') if near else ''
            raise KeyError(f'--cfg-options {option}: {source} has no '
                           f'top-level key {top!r}{hint}')


def load_config(path: Union[str, Config],
                cfg_options: Optional[dict] = None) -> Config:
    """Load a config (path or short name, or a copy of a loaded
    :class:`Config`), merge ``cfg_options`` (their top-level keys must
    exist, see :func:`check_option_keys`), check its numeric settings
    (learning rates, iterations, intervals, batch sizes... are numbers,
    :mod:`mmpoly.utils.numeric_settings`), and give its top-level
    ``tasks`` to the model, data sets and metrics
    (:func:`mmpoly.engine.apply_config_tasks`)."""
    from ..engine.config_tasks import apply_config_tasks
    if isinstance(path, Config):
        cfg, source = copy.deepcopy(path), 'the config'
    else:
        source = find_config(path)
        cfg = Config.fromfile(source)
    if cfg_options:
        check_option_keys(cfg, cfg_options, source)
        check_option_types(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    check_numeric_settings(cfg, source, cfg_options)
    return apply_config_tasks(cfg)
