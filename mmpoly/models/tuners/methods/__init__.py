"""Methods: every registered tuner of the benchmark, one per file."""
from .adapter import AdapterTuner
from .adapter_variants import (Compacter, CompacterPP, LowRankAdapter,
                               PHMAdapter, SharedAdapter)
from .ditask import DiTASK
from .dora import DoRATuner
from .dora_mtlora import DoRAMTLoRA
from .hyperformer import Hyperformer, HyperformerPP
from .ia3 import IA3
from .lora import LoRATuner
from .mona import Mona
from .mtlora import MTLoRA
from .per_task_pass import PerTaskPass
from .per_task_tensors import BitFit, PerTaskTensors, RelativeBiasTuning
from .polyhistor import Polyhistor
from .polyhistor_lite import PolyhistorLite, StageScalingKernels
from .tadformer import TADFormer
from .vpt import VPT, VPTDeep, VPTShallow

__all__ = [
    'AdapterTuner', 'SharedAdapter', 'LowRankAdapter', 'PHMAdapter',
    'Compacter', 'CompacterPP', 'DoRATuner', 'DoRAMTLoRA', 'Hyperformer',
    'HyperformerPP', 'IA3',
    'LoRATuner', 'Mona', 'MTLoRA', 'PerTaskPass', 'PerTaskTensors', 'BitFit',
    'RelativeBiasTuning', 'Polyhistor', 'PolyhistorLite',
    'StageScalingKernels', 'TADFormer', 'VPT', 'VPTDeep', 'VPTShallow',
    'DiTASK'
]
