"""L1 loss on L2-normalised surface normals over labelled pixels."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS

from ..float32_island import float32_function


@MODELS.register_module()
class NormalsL1Loss(nn.Module):
    """Mean absolute error between normalised predictions and unit normals.

    Predictions are L2-normalised over channels; the L1 distance to the
    ground truth is averaged over the components of labelled pixels (those
    whose ground-truth vector is not zero).

    Args:
        loss_weight: Multiplier of the loss.
        loss_name: Name in the loss dict (must start with ``loss_``).
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_normals_l1') -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    @float32_function
    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                **kwargs) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred: Raw predictions ``(N, 3, H, W)``.
            target: Unit normals ``(N, 3, H, W)``; zero vectors are ignored.

        Returns:
            Scalar loss (zero, with a gradient path, if nothing is labelled).
        """
        if pred.shape != target.shape:
            raise ValueError(f'prediction {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} shapes differ')
        pred = F.normalize(pred, p=2, dim=1)
        valid = (target.abs().sum(dim=1, keepdim=True) > 0).to(pred.dtype)
        num = valid.sum() * pred.shape[1]
        loss = ((pred - target).abs() * valid).sum() / num.clamp(min=1)
        return self.loss_weight * loss

    @property
    def loss_name(self) -> str:
        return self._loss_name
