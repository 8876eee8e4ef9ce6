from .adapter_tuner import AdapterTuner
from .adapter_variants import (Compacter, CompacterPP, LowRankAdapter,
                               PHMAdapter, SharedAdapter)
from .adapter_weights import AdapterWeights, adapter_delta, linear
from .base_tuner import BaseTuner
from .bottleneck_adapter import BottleneckAdapter, FactoredWeight, PHMWeight
from .hyper_adapter_tuner import HyperAdapterTuner
from .hyperformer import Hyperformer, HyperformerPP
from .hypernetwork_layers import (FullGenerator, LowRankGenerator,
                                  TaskProjector, init_hypernetwork)
from .kronecker import kron_sum, kron_sum_vector
from .lora import LoRABranch, LoRATuner
from .mtlora import MTLoRA
from .per_task_pass import PerTaskPass
from .per_task_tensors import BitFit, PerTaskTensors, RelativeBiasTuning
from .polyhistor import Polyhistor, StageHyperNetwork
from .polyhistor_lite import PolyhistorLite, StageScalingKernels
from .prompted_attention import ForwardOverride, prompted_window_attention
from .swin_sites import (ATTN, FFN, LINEARS, BlockInfo, SwinArch,
                         add_linear_branch, add_parallel_branch,
                         add_serial_branch, block_linears, describe_swin)
from .vpt import VPT, VPTDeep, VPTShallow

__all__ = [
    'SharedAdapter', 'LowRankAdapter', 'PHMAdapter', 'Compacter',
    'CompacterPP', 'BaseTuner', 'HyperAdapterTuner', 'PerTaskPass',
    'AdapterTuner', 'BottleneckAdapter', 'FactoredWeight', 'PHMWeight',
    'Hyperformer', 'HyperformerPP', 'PerTaskTensors', 'BitFit',
    'RelativeBiasTuning', 'LoRATuner', 'LoRABranch', 'MTLoRA', 'VPT',
    'VPTDeep', 'VPTShallow', 'ForwardOverride', 'prompted_window_attention',
    'Polyhistor', 'PolyhistorLite', 'StageHyperNetwork', 'StageScalingKernels',
    'TaskProjector', 'LowRankGenerator', 'FullGenerator', 'init_hypernetwork',
    'AdapterWeights', 'adapter_delta', 'linear', 'kron_sum', 'kron_sum_vector',
    'SwinArch', 'BlockInfo', 'describe_swin', 'add_parallel_branch',
    'add_serial_branch', 'add_linear_branch', 'block_linears', 'LINEARS',
    'ATTN', 'FFN'
]
