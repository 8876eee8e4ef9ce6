"""Building models without their pretrained weights."""
from typing import Any


def strip_pretrained(cfg: Any) -> Any:
    """Remove pretrained-weight loading from a (model) config, in place.

    Drops every ``init_cfg`` of type ``Pretrained`` and every
    ``pretrained=`` path, so the model builds with random initialisation
    and without downloads (for parameter counting and benchmarks).

    Returns:
        ``cfg``.
    """
    if isinstance(cfg, dict):
        init = cfg.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            cfg['init_cfg'] = None
        elif isinstance(init, list):
            cfg['init_cfg'] = [
                c for c in init
                if not (isinstance(c, dict) and c.get('type') == 'Pretrained')
            ] or None
        if isinstance(cfg.get('pretrained'), str):
            cfg['pretrained'] = None
        for value in cfg.values():
            strip_pretrained(value)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            strip_pretrained(value)
    return cfg
