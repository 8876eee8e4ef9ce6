"""Finding a config by its short name."""
import glob
import os.path as osp
from typing import Optional


def repo_configs_dir() -> Optional[str]:
    """The ``configs`` folder of the mmpoly checkout, if there is one."""
    path = osp.join(
        osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
        'configs')
    return path if osp.isdir(path) else None


def find_config(path: str) -> str:
    """Resolve a config path, accepting the short form.

    ``configs/polyhistor_swin-b.py`` or ``polyhistor_swin-b.py`` or
    ``polyhistor_swin-b`` find the file of that name anywhere under
    ``configs/`` when the path itself does not exist.

    Raises:
        FileNotFoundError: no such config, with close names if any.
        ValueError: the short name matches several files.
    """
    if osp.isfile(path):
        return path
    name = osp.basename(path)
    if not name.endswith('.py'):
        name += '.py'
    roots = [r for r in ('configs', repo_configs_dir()) if r and osp.isdir(r)]
    matches = []
    for root in roots:
        matches += glob.glob(osp.join(root, '**', name), recursive=True)
    # 'configs' and the checkout's configs may be the same folder
    unique = {}
    for m in matches:
        if '_base_' not in m.split(osp.sep):
            unique.setdefault(osp.realpath(m), osp.relpath(m))
    matches = sorted(unique.values())
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise ValueError(f'config {path!r} is ambiguous: ' +
                         ', '.join(matches))
    stem = name[:-3].split('_')[0]
    close = []
    for root in roots:
        close += glob.glob(
            osp.join(root, '**', f'*{stem}*.py'), recursive=True)
    hint = ('; similar: ' + ', '.join(sorted(set(close))[:8])) if close else ''
    raise FileNotFoundError(f'config {path!r} not found{hint}')
