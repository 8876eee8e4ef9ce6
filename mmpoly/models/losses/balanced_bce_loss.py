"""Class-balanced binary cross-entropy (saliency, edges)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS

from ..float32_island import float32_function


@MODELS.register_module()
class BalancedBinaryCrossEntropyLoss(nn.Module):
    """Binary cross-entropy with positives and negatives re-weighted.

    A positive pixel's loss is weighted by ``w`` and a negative one's by
    ``1 - w``; the weighted sum is divided by the number of labelled pixels.
    With ``pos_weight=None``, ``w = Q / (P + Q)`` for the batch's ``P``
    positive and ``Q`` negative labelled pixels (each class weighs equally;
    saliency); otherwise ``w = pos_weight`` (0.95 for edges in the
    multi-task literature). Pixels equal to ``ignore_index`` count nowhere.

    Args:
        pos_weight: Fixed weight of positive pixels in (0, 1), or None to
            balance by the batch's class frequencies.
        loss_weight: Multiplier of the loss.
        loss_name: Name in the loss dict (must start with ``loss_``).
    """

    def __init__(self,
                 pos_weight: Optional[float] = None,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_bce') -> None:
        super().__init__()
        if pos_weight is not None and not 0 < pos_weight < 1:
            raise ValueError(f'pos_weight must be in (0, 1), got {pos_weight}')
        self.pos_weight = pos_weight
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    @float32_function
    def forward(self,
                pred: torch.Tensor,
                target: torch.Tensor,
                ignore_index: int = 255,
                **kwargs) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred: Logits, ``(N, 1, H, W)`` or ``(N, H, W)``.
            target: Labels in {0, 1} (or ``ignore_index``), ``(N, H, W)``.
            ignore_index: Label value to ignore.

        Returns:
            Scalar loss.
        """
        if pred.dim() == 4:
            pred = pred.squeeze(1)
        if pred.shape != target.shape:
            raise ValueError(f'prediction {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} shapes differ')
        valid = target != ignore_index
        labels = (target == 1).to(pred.dtype)
        num_valid = valid.sum().clamp(min=1).to(pred.dtype)
        if self.pos_weight is None:
            num_pos = (labels * valid).sum()
            w_pos = (num_valid - num_pos) / num_valid
        else:
            w_pos = torch.as_tensor(self.pos_weight, dtype=pred.dtype)
        pix = F.binary_cross_entropy_with_logits(
            pred, labels, reduction='none')
        weights = torch.where(labels > 0, w_pos, 1.0 - w_pos) * valid
        return self.loss_weight * (pix * weights).sum() / num_valid

    @property
    def loss_name(self) -> str:
        return self._loss_name
