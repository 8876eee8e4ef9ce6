"""Layers: the modules and functions tuners are made of."""
from .adapter_matrices import (AdapterMatrix, DenseMatrix, FactoredMatrix,
                               PHMMatrix)
from .adapter_weights import ACTIVATIONS, AdapterWeights, adapter_delta, linear
from .bottleneck_adapter import BottleneckAdapter, build_adapter_matrix
from .cpab import (cpab_integrate, cpab_velocity, cpab_velocity_basis,
                   cpab_vertex_velocities)
from .dora_branch import DoRABranch
from .hypernetwork_layers import (AdapterGenerators, FullGenerator,
                                  LowRankGenerator, TaskProjector,
                                  reset_hypernetwork)
from .ia3_scales import IA3Scales
from .kronecker import KroneckerFactors, kron_sum, kron_sum_vector
from .lora_branch import LoRABranch
from .mona_adapter import MonaAdapter
from .singular_value_warp import FrozenSVD, SingularValueWarp
from .stage_hypernetwork import StageHyperNetwork
from .task_adaptive_filter import (FILTER_KINDS, DynamicTaskFilter, FilterNorm,
                                   naive_task_filter)
from .task_batched_adapter import (adapter_delta_per_task,
                                   stack_adapter_weights,
                                   stacked_adapter_delta)

__all__ = [
    'AdapterMatrix', 'DenseMatrix', 'FactoredMatrix', 'PHMMatrix',
    'ACTIVATIONS', 'AdapterWeights', 'adapter_delta', 'linear',
    'BottleneckAdapter', 'build_adapter_matrix', 'DoRABranch',
    'AdapterGenerators', 'FullGenerator', 'LowRankGenerator', 'TaskProjector',
    'reset_hypernetwork', 'IA3Scales', 'KroneckerFactors', 'kron_sum',
    'kron_sum_vector', 'LoRABranch', 'MonaAdapter', 'StageHyperNetwork',
    'FILTER_KINDS', 'DynamicTaskFilter', 'FilterNorm', 'naive_task_filter',
    'cpab_integrate', 'cpab_velocity', 'cpab_velocity_basis',
    'cpab_vertex_velocities', 'FrozenSVD', 'SingularValueWarp',
    'adapter_delta_per_task', 'stack_adapter_weights', 'stacked_adapter_delta'
]
