"""Layers: the modules and functions tuners are made of."""
from .adapter_matrices import (AdapterMatrix, DenseMatrix, FactoredMatrix,
                               PHMMatrix)
from .adapter_weights import ACTIVATIONS, AdapterWeights, adapter_delta, linear
from .bottleneck_adapter import BottleneckAdapter, build_adapter_matrix
from .hypernetwork_layers import (AdapterGenerators, FullGenerator,
                                  LowRankGenerator, TaskProjector,
                                  reset_hypernetwork)
from .ia3_scales import IA3Scales
from .kronecker import kron_sum, kron_sum_vector
from .lora_branch import LoRABranch
from .stage_hypernetwork import StageHyperNetwork

__all__ = [
    'AdapterMatrix', 'DenseMatrix', 'FactoredMatrix', 'PHMMatrix',
    'ACTIVATIONS', 'AdapterWeights', 'adapter_delta', 'linear',
    'BottleneckAdapter', 'build_adapter_matrix', 'AdapterGenerators',
    'FullGenerator', 'LowRankGenerator', 'TaskProjector', 'reset_hypernetwork',
    'IA3Scales', 'kron_sum', 'kron_sum_vector', 'LoRABranch',
    'StageHyperNetwork'
]
