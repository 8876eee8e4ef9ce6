from .balanced_bce_loss import BalancedBinaryCrossEntropyLoss
from .normals_l1_loss import NormalsL1Loss

__all__ = ['BalancedBinaryCrossEntropyLoss', 'NormalsL1Loss']
