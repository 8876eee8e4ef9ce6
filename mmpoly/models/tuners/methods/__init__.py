"""Methods: every registered tuner of the benchmark, one per file."""
from .adapter import AdapterTuner
from .adapter_variants import (Compacter, CompacterPP, LowRankAdapter,
                               PHMAdapter, SharedAdapter)
from .hyperformer import Hyperformer, HyperformerPP
from .ia3 import IA3
from .lora import LoRATuner
from .mtlora import MTLoRA
from .per_task_pass import PerTaskPass
from .per_task_tensors import BitFit, PerTaskTensors, RelativeBiasTuning
from .polyhistor import Polyhistor
from .polyhistor_lite import PolyhistorLite, StageScalingKernels
from .vpt import VPT, VPTDeep, VPTShallow

__all__ = [
    'AdapterTuner', 'SharedAdapter', 'LowRankAdapter', 'PHMAdapter',
    'Compacter', 'CompacterPP', 'Hyperformer', 'HyperformerPP', 'IA3',
    'LoRATuner', 'MTLoRA', 'PerTaskPass', 'PerTaskTensors', 'BitFit',
    'RelativeBiasTuning', 'Polyhistor', 'PolyhistorLite',
    'StageScalingKernels', 'VPT', 'VPTDeep', 'VPTShallow'
]
