"""mmpoly's MTLoRA backbone against the authors' implementation.

Used by ``tools/analysis/compare_reference.py``. The reference
(scale-lab/MTLoRA) is imported at run time from a checkout the user names;
it is never part of mmpoly. Its Swin-T with MTLoRA
(``models/swin_transformer_mtlora.py``) is built with the settings of an
mmpoly MTLoRA config (ranks, scale, dropout, adapted Linear layers, tasks,
drop path, MTLoRA+'s merge LoRA) and trained as its ``main.py`` trains it
(``mark_only_lora_as_trainable``: the LoRA matrices, patch embedding,
LayerNorms, merge reductions and relative-position tables). Both backbones
then run the same step, forward and backward of the sum of every task's
stage features, in one process, alternately.
"""
import contextlib
import importlib
import io
import os.path as osp
import sys
import time
import types
from statistics import median
from typing import Callable, Dict, List, Sequence, Tuple

import torch
import torch.nn as nn

#: Files of a scale-lab/MTLoRA checkout the comparison imports.
REFERENCE_FILES = ('models/swin_transformer_mtlora.py', 'models/lora.py')
#: Swin-T as the reference builds it (its configs/mtlora/tiny_448/*).
SWIN_T = dict(
    embed_dim=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24], window_size=7)
#: The Linear roles the reference can adapt, by its config flag.
ROLE_FLAGS = dict(
    qkv='QKV_ENABLED',
    proj='PROJ_ENABLED',
    fc1='FC1_ENABLED',
    fc2='FC2_ENABLED')


class ReferenceCheckoutError(ValueError):
    """The reference checkout or the config cannot be compared (one line)."""


def import_reference(root: str) -> Tuple[type, Callable]:
    """``SwinTransformerMTLoRA`` and ``mark_only_lora_as_trainable`` from
    the checkout at ``root``.

    Raises:
        ReferenceCheckoutError: ``root`` is not a folder, lacks
            :data:`REFERENCE_FILES`, or its import fails (e.g. a package
            of its requirements, such as ``timm``, is missing).
    """
    if not osp.isdir(root):
        raise ReferenceCheckoutError(
            f'--reference-root {root}: no such folder (a checkout of '
            'scale-lab/MTLoRA expected)')
    for path in REFERENCE_FILES:
        if not osp.isfile(osp.join(root, path)):
            raise ReferenceCheckoutError(
                f'--reference-root {root}: not a scale-lab/MTLoRA checkout '
                f'({path} not found)')
    root = osp.abspath(root)
    loaded = sys.modules.get('models')
    if loaded is not None and not osp.abspath(
            getattr(loaded, '__file__', '') or '').startswith(root):
        raise ReferenceCheckoutError(
            f'--reference-root {root}: another top-level package "models" '
            f'is already imported ({getattr(loaded, "__file__", loaded)})')
    sys.path.insert(0, root)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            swin = importlib.import_module('models.swin_transformer_mtlora')
            lora = importlib.import_module('models.lora')
    except ImportError as e:
        raise ReferenceCheckoutError(
            f'importing the reference from {root} failed: {e} (install its '
            'requirements, e.g. pip install timm)') from None
    finally:
        sys.path.remove(root)
    return swin.SwinTransformerMTLoRA, lora.mark_only_lora_as_trainable


def reference_settings(cfg, config: str) -> dict:
    """The reference's arguments for the MTLoRA model of config ``cfg``.

    Raises:
        ReferenceCheckoutError: the config is not MTLoRA (``'matrix'``
            streams) on mmpretrain's Swin-T with the MTLoRA protocol's
            features, or adapts Linear layers the reference cannot.
    """
    backbone = cfg.model.backbone
    tuner = backbone.get('tuner') or {}
    if backbone.get('type') != 'PEFTBackbone' or tuner.get('type') != 'MTLoRA':
        raise ReferenceCheckoutError(
            f'{config}: model.backbone must be a PEFTBackbone with an MTLoRA '
            f'tuner, got {backbone.get("type")} / {tuner.get("type")}')
    swin = backbone.backbone
    if swin.get('type') != 'mmpretrain.SwinTransformer' or swin.get(
            'arch') not in (
                'tiny',
                't') or not swin.get('out_after_downsample') or swin.get(
                    'norm_cfg', 'LN') is not None or backbone.get(
                        'per_task_out_norms', True):
        raise ReferenceCheckoutError(
            f'{config}: the reference is Swin-T with its features after '
            'patch merging and no output norms (the MTLoRA protocol, '
            'configs/mtlora-protocol/); got model.backbone.backbone '
            f'{swin.get("type")} arch={swin.get("arch")!r}')
    if tuner.get('stream_mode', 'matrix') != 'matrix':
        raise ReferenceCheckoutError(
            f"{config}: the reference computes MTLoRA's 'matrix' streams, "
            f'got stream_mode={tuner.get("stream_mode")!r}')
    shared = tuple(tuner.get('shared_targets', ROLE_FLAGS))
    task = tuple(tuner.get('task_targets', ('proj', 'fc1', 'fc2')))
    unknown = [r for r in shared if r not in ROLE_FLAGS]
    if unknown or set(task) != set(shared) - {'qkv'}:
        raise ReferenceCheckoutError(
            f'{config}: the reference adapts qkv / proj / fc1 / fc2 shared '
            'and the same roles but qkv per task; got shared_targets '
            f'{shared} and task_targets {task}')
    rank, task_rank = tuner.get('shared_rank', 64), tuner.get('task_rank', 4)
    merge_rank = tuner.get('merge_rank')
    if merge_rank not in (None, rank):
        raise ReferenceCheckoutError(
            f"{config}: the reference's merge LoRA (MTLoRA+) has the shared "
            f'rank {rank}, got merge_rank={merge_rank}')
    return dict(
        rank=rank,
        task_rank=task_rank,
        scale=tuner.get('scale', 4.0),
        dropout=tuner.get('dropout', 0.05),
        enabled={
            flag: role in shared
            for role, flag in ROLE_FLAGS.items()
        },
        merge=merge_rank is not None,
        drop_path_rate=swin.get('drop_path_rate', 0.1))


def build_reference(root: str, settings: dict, tasks: Sequence[str],
                    img_size: int) -> nn.Module:
    """The reference's Swin-T with MTLoRA, trainable as its ``main.py``
    makes it (no pretrained weights)."""
    swin_cls, mark_trainable = import_reference(root)
    tasks = list(tasks)
    stages = len(SWIN_T['depths'])
    ranks = dict({t: settings['task_rank']
                  for t in tasks},
                 shared=settings['rank'])
    mtlora = types.SimpleNamespace(
        ENABLED=True,
        R=[settings['rank']] * stages,
        SHARED_SCALE=[settings['scale']] * stages,
        TASK_SCALE=[settings['scale']] * stages,
        DROPOUT=[settings['dropout']] * stages,
        TRAINABLE_SCALE_SHARED=False,
        TRAINABLE_SCALE_PER_TASK=False,
        INTERMEDIATE_SPECIALIZATION=False,
        FREEZE_PRETRAINED=True,
        SPLIT_QKV=False,
        SHARED_MODE='matrix',
        DOWNSAMPLER_ENABLED=settings['merge'],
        R_PER_TASK_LIST=[dict(ranks) for _ in range(stages)],
        SCALE_PER_TASK_LIST=[{
            t: settings['scale']
            for t in tasks
        } for _ in range(stages)],
        **settings['enabled'])
    with contextlib.redirect_stdout(io.StringIO()):
        model = swin_cls(
            img_size=img_size,
            num_classes=0,
            drop_path_rate=settings['drop_path_rate'],
            tasks=tasks,
            mtlora=mtlora,
            **SWIN_T)
        mark_trainable(
            model, bias='none', freeze_downsample_reduction=settings['merge'])
    return model


def reference_step(model: nn.Module, x: torch.Tensor,
                   tasks: Sequence[str]) -> None:
    """Forward and backward of the sum of every task's stage features."""
    stages = model(x, return_stages=True)
    loss = sum(per_task[t].sum() for _, per_task in stages for t in tasks)
    loss.backward()


def mmpoly_step(backbone: nn.Module, x: torch.Tensor,
                tasks: Sequence[str]) -> None:
    """Forward and backward of the sum of every task's stage features."""
    feats = backbone.forward_tasks(x, list(tasks))
    loss = sum(f.sum() for t in tasks for f in feats[t])
    loss.backward()


def count_calls(modules: List[nn.Module], step: Callable[[], None]) -> int:
    """Calls of ``modules`` during ``step()``."""
    calls = []
    handles = [
        m.register_forward_hook(lambda *args: calls.append(1)) for m in modules
    ]
    try:
        step()
    finally:
        for h in handles:
            h.remove()
    return len(calls)


def trainable_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


#: The clocks :func:`interleaved_times` reads: wall-clock time, and the
#: CPU time of this process (all its threads; on a machine busy with other
#: work it counts what the step itself computed, not the waiting).
CLOCKS = {'wall': time.perf_counter, 'cpu': time.process_time}


def interleaved_times(
    steps: Dict[str, Callable[[], None]],
    runs: int,
    sync: Callable[[], None],
    report: Callable[[int, Dict[str, float]], None],
    clocks: Dict[str, Callable[[], float]] = CLOCKS
) -> Dict[str, Dict[str, List[float]]]:
    """Seconds of each step by each of ``clocks`` (with ``'wall'``),
    ``runs`` rounds, the steps alternating in each round (after one untimed
    round); ``report(i, wall seconds by step)`` after round ``i``.

    Returns:
        clock -> step -> seconds per round.
    """
    for step in steps.values():
        step()
    times = {clock: {name: [] for name in steps} for clock in clocks}
    for i in range(runs):
        for name, step in steps.items():
            sync()
            start = {clock: read() for clock, read in clocks.items()}
            step()
            sync()
            for clock, read in clocks.items():
                times[clock][name].append(read() - start[clock])
        report(i, {name: times['wall'][name][-1] for name in steps})
    return times


def ratios(times: Dict[str, List[float]], numerator: str,
           denominator: str) -> Dict[str, float]:
    """``numerator / denominator`` of interleaved timings, three ways:
    of the medians, of the best runs (the least disturbed by other load)
    and the median of the per-round ratios."""
    num, den = times[numerator], times[denominator]
    return {
        'medians': median(num) / median(den),
        'best runs': min(num) / min(den),
        'per round': median(a / b for a, b in zip(num, den)),
    }
