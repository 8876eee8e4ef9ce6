"""Counting the FLOPs of a multi-task model's inference, per part."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.analysis import FlopAnalyzer


class _Inference(nn.Module):
    """One image's inference of ``tasks``: backbone passes, then heads."""

    def __init__(self, model: nn.Module, tasks: Sequence[str]) -> None:
        super().__init__()
        self.model = model
        self.tasks = tuple(tasks)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        feats = self.model.extract_feat(x, self.tasks)
        return tuple(self.model.decode_heads[t](feats[t]) for t in self.tasks)


def count_flops(model: nn.Module,
                shape: Tuple[int, int] = (448, 448),
                tasks: Optional[Sequence[str]] = None) -> Dict[str, object]:
    """FLOPs of one image's inference of ``tasks`` (all by default).

    Counted by MMEngine's ``FlopAnalyzer`` (fvcore's convention: one fused
    multiply-add is one FLOP) on a traced forward pass, after a first
    forward, so that generated adapter weights are cached as in deployed
    inference (hypernetworks then cost nothing per image). Every per-task
    backbone pass is counted.

    Args:
        model: A :class:`~mmpoly.models.MultiTaskSegmentor`.
        shape: Image ``(H, W)``.
        tasks: The tasks to predict.

    Returns:
        ``total``, ``backbone`` (all its passes), ``heads`` (task -> FLOPs)
        and ``tasks``; ``passes`` is the number of backbone passes;
        ``operators`` (operator -> FLOPs, the whole model) and ``stages``
        (the FLOPs of each stage's blocks, all passes, a method's modules
        in them included; empty for a backbone mmpoly does not describe).
    """
    tasks = model._check_subset(tasks)
    model.eval()
    runner = _Inference(model, tasks)
    x = torch.zeros(1, 3, *shape, device=next(model.parameters()).device)
    with torch.no_grad():
        runner(x)  # fills the eval caches of generated weights
        analyzer = FlopAnalyzer(runner, (x, ))
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        by_module = analyzer.by_module()
        total = analyzer.total()
        operators = dict(analyzer.by_operator())
    backbone = model.backbone
    mode = getattr(backbone, 'run_mode', None)
    shared = mode is None or not mode.passes_per_task
    return dict(
        total=total,
        backbone=by_module.get('model.backbone', 0),
        heads={t: by_module.get(f'model.decode_heads.{t}', 0)
               for t in tasks},
        tasks=tasks,
        passes=1 if shared else len(tasks),
        operators=operators,
        stages=_stage_flops(runner, by_module))


def _stage_flops(runner: nn.Module, by_module: Dict[str, int]) -> List[int]:
    """The FLOPs of the blocks of each stage of a described backbone (what
    a method adds inside a block, hooks included, is counted in it)."""
    arch = getattr(runner.model.backbone, 'arch', None)
    if arch is None:
        return []
    names = {id(m): n for n, m in runner.named_modules()}
    return [
        sum(by_module.get(names[id(b.block)], 0) for b in blocks)
        for blocks in arch.stages
    ]
