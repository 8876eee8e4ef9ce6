"""Output folders: the toy generators' checks, and the manifest of what
``tools/test.py --out`` wrote, so that ``--overwrite`` removes only that.

A results folder holds :data:`MANIFEST`, a JSON file listing (relative to
the folder) every file the run wrote. ``--overwrite`` deletes those files
and nothing else; a folder that holds files but no manifest is refused, and
so is a folder that is, holds or lies inside a data root of the config.
"""
import json
import os
import os.path as osp
from typing import Iterable, List, Optional, Set

#: Name of the manifest in a results folder.
MANIFEST = '.mmpoly-manifest.json'


def check_generator_args(out_dir: str, num_train: int, num_val: int, size: int,
                         overwrite: bool) -> None:
    """Raise on split sizes or an image size that make no data set, and on
    a non-empty ``out_dir`` unless ``overwrite``."""
    if num_train < 1 or num_val < 1:
        raise ValueError('each split needs at least one image')
    if size < 32:
        raise ValueError(f'size must be at least 32, got {size}')
    if osp.isdir(out_dir) and os.listdir(out_dir) and not overwrite:
        raise FileExistsError(
            f'{out_dir} is not empty; pass overwrite=True (--overwrite)')


def files_under(folder: str) -> Set[str]:
    """Every file (and link) below ``folder``, relative to it."""
    found = set()
    for root, dirs, files in os.walk(folder):
        for name in files + [d for d in dirs if osp.islink(osp.join(root, d))]:
            found.add(osp.relpath(osp.join(root, name), folder))
    return found


def check_not_data_root(out_dir: str,
                        data_roots: Iterable[str],
                        option: str = '--out') -> None:
    """Refuse an output folder that is a data root, holds one, or lies
    inside one (predictions would mix with, or replace, ground truth).

    Raises:
        ValueError: naming both folders.
    """
    out = osp.realpath(out_dir)
    for root in data_roots:
        real = osp.realpath(root)
        if out == real:
            how = 'is'
        elif osp.commonpath([out, real]) == real:
            how = 'is inside'
        elif osp.commonpath([out, real]) == out:
            how = 'contains'
        else:
            continue
        raise ValueError(
            f'{option} {out_dir} {how} the data root {root} of the config; '
            'results must not be written among the ground truth: choose a '
            'folder outside it')


def _read_manifest(out_dir: str) -> Optional[dict]:
    path = osp.join(out_dir, MANIFEST)
    if not osp.isfile(path):
        return None
    try:
        with open(path) as f:
            manifest = json.load(f)
        files = manifest['files']
        before = manifest.get('preexisting', [])
        if not (isinstance(files, list) and isinstance(before, list)):
            raise TypeError('files is not a list')
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f'{path} is not an mmpoly manifest ({e}); remove '
                         f'the results in {out_dir} by hand') from None
    return manifest


def _inside(rel: str) -> bool:
    rel = osp.normpath(rel)
    return not (osp.isabs(rel) or rel == '..' or rel.startswith('..' + os.sep)
                or rel == MANIFEST)


def prepare_results_dir(out_dir: str,
                        data_roots: Iterable[str] = (),
                        overwrite: bool = False,
                        result_folders: Iterable[str] = (),
                        option: str = '--out') -> Set[str]:
    """Make ``out_dir`` ready for a run's results.

    A missing or empty folder is fine. A folder with a manifest holds an
    earlier run's results: refused, or with ``overwrite`` the files the
    manifest lists are removed (and the folders that become empty); any
    other file stays, unless it lies in one of the ``result_folders`` the
    run writes into (it would mix with the new results: refused, before
    anything is removed). A folder with files but no manifest is refused:
    mmpoly did not write them. Then :func:`start_manifest` records what
    is there, so that an interrupted run can be cleaned up too.

    Args:
        out_dir: The results folder.
        data_roots: The config's data roots (see
            :func:`check_not_data_root`).
        overwrite: Remove an earlier run's results instead of refusing.
        result_folders: Sub-folders the run writes (one per task).
        option: The option that named ``out_dir``, for messages.

    Returns:
        The files (relative paths) in ``out_dir`` that the run must not
        claim as its own: see :func:`finish_manifest`.

    Raises:
        FileExistsError: one line naming the folder and what it holds.
    """
    check_not_data_root(out_dir, data_roots, option)
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        raise FileExistsError(f'{option} {out_dir} is a file, not a folder')
    present = files_under(out_dir) if osp.isdir(out_dir) else set()
    manifest = _read_manifest(out_dir)
    if manifest is None:
        if present:
            listed = ', '.join(sorted(present)[:3])
            raise FileExistsError(
                f'{option} {out_dir} holds {len(present)} file(s) that '
                f'mmpoly did not write (no {MANIFEST}; e.g. {listed}): '
                'choose a new or empty folder')
    else:
        ours = _manifest_files(manifest, present)
        if not ours:  # a run that stopped before writing anything
            os.remove(osp.join(out_dir, MANIFEST))
            return start_manifest(out_dir)
        if not overwrite:
            raise FileExistsError(
                f'{option} {out_dir} already holds results of an earlier '
                f'run ({len(ours)} file(s) listed in {MANIFEST}); choose '
                'another folder, or add --overwrite to remove them')
        mixed = sorted(f for f in present - set(ours) - {MANIFEST}
                       if f.split(os.sep)[0] in set(result_folders))
        if mixed:
            raise FileExistsError(
                f'{option} {out_dir}: {len(mixed)} file(s) that {MANIFEST} '
                f'does not list lie among the results ({", ".join(mixed[:3])}'
                '); mmpoly did not write them and does not remove them: move '
                'them away or choose another folder')
        removed = _remove(out_dir, ours)
        os.remove(osp.join(out_dir, MANIFEST))
        kept = len(present) - removed - 1
        print(f'{option} {out_dir}: --overwrite removed the {removed} '
              f'file(s) of an earlier run listed in {MANIFEST}' +
              (f', kept {kept} other file(s)' if kept else ''))
    return start_manifest(out_dir)


def _manifest_files(manifest: dict, present: Set[str]) -> List[str]:
    """The files of the run a manifest describes that are still there (an
    interrupted run's: those that were not there before it)."""
    if manifest.get('complete', True):
        files = manifest['files']
    else:
        before = set(manifest.get('preexisting', []))
        files = sorted(present - before - {MANIFEST})
    return [
        f for f in files
        if isinstance(f, str) and _inside(f) and osp.normpath(f) in present
    ]


def _remove(out_dir: str, files: List[str]) -> int:
    removed = 0
    folders = set()
    for rel in files:
        path = osp.join(out_dir, osp.normpath(rel))
        if osp.isfile(path) or osp.islink(path):
            os.remove(path)
            removed += 1
        folder = osp.dirname(rel)
        while folder:
            folders.add(folder)
            folder = osp.dirname(folder)
    for folder in sorted(folders, key=len, reverse=True):
        path = osp.join(out_dir, folder)
        if osp.isdir(path) and not os.listdir(path):
            os.rmdir(path)
    return removed


def _write_manifest(out_dir: str, manifest: dict) -> None:
    path = osp.join(out_dir, MANIFEST)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(manifest, f, indent=1)
    os.replace(tmp, path)


def start_manifest(out_dir: str) -> Set[str]:
    """Write an incomplete manifest recording the files already in
    ``out_dir``; return them."""
    os.makedirs(out_dir, exist_ok=True)
    before = files_under(out_dir) - {MANIFEST}
    _write_manifest(
        out_dir,
        dict(
            tool='mmpoly',
            complete=False,
            preexisting=sorted(before),
            files=[]))
    return before


def finish_manifest(out_dir: str, before: Set[str]) -> List[str]:
    """List in the manifest every file of ``out_dir`` that was not in
    ``before`` (what the run wrote); return them."""
    files = sorted(files_under(out_dir) - before - {MANIFEST})
    _write_manifest(out_dir, dict(tool='mmpoly', complete=True, files=files))
    return files
