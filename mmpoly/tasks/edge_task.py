"""Boundary (edge) detection."""
from typing import Dict, Optional

import numpy as np
import torch

from ..functional.edge import edge_metrics, edge_stats, edge_thresholds
from ..registry import TASKS
from .base_task import Drawing
from .binary_task import BinaryTask
from .drawing import blend

#: Colour of drawn edges.
EDGE_COLOUR = (255, 230, 0)


@TASKS.register_module()
class EdgeTask(BinaryTask):
    """Thin binary edge maps, predicted as probabilities.

    - Ground truth: as :class:`BinaryTask` (grey PNG or ``.npy``; 1 on
      edge pixels), or derived by a data set (PASCAL-Context: the thinned
      non-zero Laplacian of the ``LabelMap``).
    - Head: one logit; loss: weighted binary cross-entropy with a fixed
      positive weight (``pos_weight`` for edge pixels, ``1 - pos_weight``
      for the others, 0.95 as in the multi-task literature); prediction:
      the sigmoid probability.
    - Metrics (see :mod:`mmpoly.functional.edge`): ``odsF``
      (primary, higher is better) and ``oisF``, matching predicted and
      ground-truth edge pixels within ``max_dist`` of the image diagonal;
      also ``odsR``, ``odsP`` and ``ods_threshold``.
    - Written predictions: 8-bit probability PNGs.

    Args:
        name: Task name.
        max_dist: Matching tolerance as a fraction of the image diagonal
            (0.0075 on PASCAL-Context, 0.011 on NYUD-v2).
        num_thresholds: Number of thresholds on the probability (BSDS uses
            99).
        thin: Thin each binarised prediction before matching (BSDS does).
        pos_weight: Weight of edge pixels in the loss.
        **kwargs: :class:`BinaryTask` arguments.
    """

    primary_metric = 'odsF'
    higher_is_better = True

    def __init__(self,
                 name: str,
                 max_dist: float = 0.0075,
                 num_thresholds: int = 99,
                 thin: bool = True,
                 pos_weight: float = 0.95,
                 **kwargs) -> None:
        super().__init__(name, **kwargs)
        if not 0 < max_dist < 1:
            raise ValueError(f'tasks.{name}.max_dist must be a fraction of '
                             f'the image diagonal in (0, 1), got {max_dist!r}')
        if not 0 < pos_weight < 1:
            raise ValueError(f'tasks.{name}.pos_weight must be in (0, 1), '
                             f'got {pos_weight!r}')
        self.max_dist = float(max_dist)
        self.thresholds = edge_thresholds(int(num_thresholds))
        self.thin = thin
        self.pos_weight = float(pos_weight)

    def default_loss(self) -> dict:
        return dict(
            type='BalancedBinaryCrossEntropyLoss',
            pos_weight=self.pos_weight,
            loss_name='loss_edge_bce')

    def stats(self, pred: torch.Tensor,
              gt: torch.Tensor) -> Dict[str, np.ndarray]:
        return edge_stats(pred[0].numpy(), gt[0].numpy(), self.thresholds,
                          self.max_dist, self.ignore_index, self.thin)

    def metrics(self,
                stats: Dict[str, np.ndarray],
                dataset_meta: Optional[dict] = None) -> Dict[str, float]:
        return edge_metrics(stats, self.thresholds)

    def visualize(self,
                  data: torch.Tensor,
                  image: np.ndarray,
                  dataset_meta: Optional[dict] = None) -> Drawing:
        """Edges (their probability) as yellow lines over the dimmed
        image."""
        prob = data[0].cpu().numpy().astype(np.float32)
        prob = np.where(prob == self.ignore_index, 0, prob)
        dimmed = (image.astype(np.float32) * 0.4).astype(np.uint8)
        lines = np.broadcast_to(np.array(EDGE_COLOUR, np.uint8), image.shape)
        return blend(dimmed, lines, np.clip(prob, 0,
                                            1)), [('edge', EDGE_COLOUR)]

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(name={self.name!r}, '
                f'max_dist={self.max_dist})')
