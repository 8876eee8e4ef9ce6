"""L1 loss on depth over valid pixels."""
import torch
import torch.nn as nn
from mmseg.registry import MODELS

from ..float32_island import float32_function


@MODELS.register_module()
class DepthL1Loss(nn.Module):
    """Mean absolute depth error over the pixels with valid ground truth.

    Valid pixels are those whose ground-truth depth is ``> 0`` (invalid
    and padded pixels are 0).

    Args:
        loss_weight: Multiplier of the loss.
        loss_name: Name in the loss dict (must start with ``loss_``).
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_depth_l1') -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    @float32_function
    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                **kwargs) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred: Predicted depth ``(N, 1, H, W)``.
            target: Ground truth ``(N, 1, H, W)``, 0 = invalid.

        Returns:
            Scalar loss (zero, with a gradient path, if nothing is valid).
        """
        if pred.shape != target.shape:
            raise ValueError(f'prediction {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} shapes differ')
        valid = (target > 0).to(pred.dtype)
        loss = ((pred - target).abs() * valid).sum() / valid.sum().clamp(min=1)
        return self.loss_weight * loss

    @property
    def loss_name(self) -> str:
        return self._loss_name
