"""Which checkpoint ``tools/train.py --resume`` continues from."""
import glob
import logging
import os.path as osp
import re
import zipfile
from typing import Optional, Tuple

from mmengine.logging import print_log

#: Checkpoint names MMEngine's CheckpointHook writes.
_STEP = re.compile(r'^(?:iter|epoch)_(\d+)\.pth$')


def _complete(path: str) -> bool:
    # torch.save writes a zip archive whose directory comes last
    return osp.isfile(path) and zipfile.is_zipfile(path)


def _read_pointer(pointer: str) -> Tuple[Optional[str], str]:
    """The path ``pointer`` (a ``last_checkpoint`` file) names, or None
    and why it names none."""
    with open(pointer, 'rb') as f:
        data = f.read(4097)
    try:
        text = data.decode('utf-8').strip()
    except UnicodeDecodeError:
        return None, 'is not a text file naming a checkpoint (binary data)'
    if len(data) > 4096 or '\n' in text or '\x00' in text:
        return None, 'is not one line naming a checkpoint'
    if not text:
        return None, 'is empty'
    return text, ''


def _newest_step_checkpoint(work_dir: str) -> Optional[str]:
    steps = []
    for path in glob.glob(osp.join(glob.escape(work_dir), '*.pth')):
        m = _STEP.match(osp.basename(path))
        if m and _complete(path):
            steps.append((int(m.group(1)), path))
    return max(steps)[1] if steps else None


def find_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint to resume from in ``work_dir``, or None.

    The one ``last_checkpoint`` names, when it exists and is complete;
    otherwise the complete ``iter_N.pth`` / ``epoch_N.pth`` with the
    largest N (a crash can leave ``last_checkpoint`` empty or naming a
    checkpoint that a later cleanup removed), with a warning naming the
    unusable ``last_checkpoint``.

    Raises:
        ValueError: ``last_checkpoint`` exists but names no complete
            checkpoint, and there is no complete ``iter_N.pth`` /
            ``epoch_N.pth`` to fall back to.
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return _newest_step_checkpoint(work_dir)
    named, problem = _read_pointer(pointer)
    if named is not None:
        if not osp.isabs(named) and not osp.isfile(named):
            named = osp.join(work_dir, osp.basename(named))
        if _complete(named):
            return named
        problem = (f'names {named}, which is missing' if not osp.exists(named)
                   else f'names {named}, which is not a complete checkpoint')
    fallback = _newest_step_checkpoint(work_dir)
    if fallback is None:
        raise ValueError(
            f'{pointer} {problem}, and {work_dir} holds no complete '
            'iter_N.pth / epoch_N.pth to resume from instead; give a '
            'checkpoint with --resume CHECKPOINT, or delete that file to '
            'start afresh')
    print_log(
        f'{pointer} {problem}: resuming from the newest complete '
        f'checkpoint, {fallback}',
        'current',
        level=logging.WARNING)
    return fallback


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
        ValueError: ``resume`` looks like a ``key=value`` option, or the
            work dir's ``last_checkpoint`` is damaged and there is no
            checkpoint to fall back to.
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
