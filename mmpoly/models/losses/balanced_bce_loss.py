"""Class-balanced binary cross-entropy (saliency, edges)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS

from ...structures import IGNORE_INDEX


@MODELS.register_module()
class BalancedBinaryCrossEntropyLoss(nn.Module):
    """Binary cross-entropy with positives and negatives re-weighted.

    With ``P`` positive and ``Q`` negative labelled pixels in the batch, a
    positive pixel's loss is weighted by ``Q / (P + Q)`` and a negative one's
    by ``P / (P + Q)``; the weighted sum is divided by ``P + Q``. Pixels equal
    to ``ignore_index`` count nowhere.

    Args:
        loss_weight: Multiplier of the loss.
        loss_name: Name in the loss dict (must start with ``loss_``).
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_bce') -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self,
                pred: torch.Tensor,
                target: torch.Tensor,
                ignore_index: int = IGNORE_INDEX,
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
        num_pos = (labels * valid).sum()
        num_valid = valid.sum().clamp(min=1).to(pred.dtype)
        w_pos = (num_valid - num_pos) / num_valid
        pix = F.binary_cross_entropy_with_logits(
            pred, labels, reduction='none')
        weights = torch.where(labels > 0, w_pos, 1.0 - w_pos) * valid
        return self.loss_weight * (pix * weights).sum() / num_valid

    @property
    def loss_name(self) -> str:
        return self._loss_name
