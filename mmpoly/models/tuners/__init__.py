from .adapter_tuner import AdapterTuner
from .adapter_weights import AdapterWeights, adapter_delta, linear
from .base_tuner import BaseTuner
from .bottleneck_adapter import BottleneckAdapter, FactoredWeight
from .hyper_adapter_tuner import HyperAdapterTuner
from .hypernetwork_layers import (FullGenerator, LowRankGenerator,
                                  TaskProjector, init_hypernetwork)
from .kronecker import kron_sum, kron_sum_vector
from .per_task_pass import PerTaskPass
from .polyhistor import Polyhistor, StageHyperNetwork
from .polyhistor_lite import PolyhistorLite, StageScalingKernels
from .swin_sites import (ATTN, FFN, BlockInfo, SwinArch, add_parallel_branch,
                         add_serial_branch, describe_swin)

__all__ = [
    'BaseTuner', 'HyperAdapterTuner', 'PerTaskPass', 'AdapterTuner',
    'BottleneckAdapter', 'FactoredWeight', 'Polyhistor', 'PolyhistorLite',
    'StageHyperNetwork', 'StageScalingKernels', 'TaskProjector',
    'LowRankGenerator', 'FullGenerator', 'init_hypernetwork',
    'AdapterWeights', 'adapter_delta', 'linear', 'kron_sum',
    'kron_sum_vector', 'SwinArch', 'BlockInfo', 'describe_swin',
    'add_parallel_branch', 'add_serial_branch', 'ATTN', 'FFN'
]
