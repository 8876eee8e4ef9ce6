"""Which checkpoint ``tools/train.py --resume`` continues from."""
import glob
import os.path as osp
import re
import zipfile
from typing import Optional

#: Checkpoint names MMEngine's CheckpointHook writes.
_STEP = re.compile(r'^(?:iter|epoch)_(\d+)\.pth$')


def _complete(path: str) -> bool:
    # torch.save writes a zip archive whose directory comes last
    return osp.isfile(path) and zipfile.is_zipfile(path)


def find_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint to resume from in ``work_dir``, or None.

    The one ``last_checkpoint`` names, when it exists and is complete;
    otherwise the complete ``iter_N.pth`` / ``epoch_N.pth`` with the
    largest N (a crash can leave ``last_checkpoint`` empty or naming a
    checkpoint that a later cleanup removed).
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if named and not osp.isabs(named) and not osp.isfile(named):
            named = osp.join(work_dir, osp.basename(named))
        if named and _complete(named):
            return named
    steps = []
    for path in glob.glob(osp.join(glob.escape(work_dir), '*.pth')):
        m = _STEP.match(osp.basename(path))
        if m and _complete(path):
            steps.append((int(m.group(1)), path))
    return max(steps)[1] if steps else None


def resolve_resume(resume: Optional[str], if_possible: bool,
                   work_dir: str) -> Optional[str]:
    """The checkpoint a training resumes from, or None to start afresh.

    Args:
        resume: ``--resume``'s value: None (not given), ``'auto'`` (given
            without a path: the latest checkpoint of ``work_dir``) or a
            checkpoint path.
        if_possible: ``--resume-if-possible``: resume from the latest
            checkpoint of ``work_dir`` when there is one, else start afresh.
        work_dir: The run's work dir.

    Raises:
        ValueError: ``resume`` looks like a ``key=value`` option.
        FileNotFoundError: ``resume`` names no file, or ``'auto'`` finds no
            checkpoint in ``work_dir``.
    """
    if resume not in (None, 'auto'):
        if not osp.isfile(resume):
            if '=' in resume:
                raise ValueError(
                    f'--resume takes a checkpoint path or nothing, got '
                    f'{resume!r} (a key=value option belongs after '
                    '--cfg-options)')
            raise FileNotFoundError(f'--resume: checkpoint {resume} not found')
        return resume
    if resume is None and not if_possible:
        return None
    found = find_resume_checkpoint(work_dir)
    if found is None and resume == 'auto':
        raise FileNotFoundError(
            f'--resume: no checkpoint to resume from in {work_dir} (no '
            'last_checkpoint and no complete iter_*.pth / epoch_*.pth); '
            'give a checkpoint path, or use --resume-if-possible to start '
            'afresh when there is none')
    return found
