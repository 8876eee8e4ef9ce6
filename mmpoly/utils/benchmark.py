"""Measuring a config's training step, inference and peak memory.

Used by ``tools/analysis/benchmark.py``, which runs every measurement in a
fresh process (so peak memory belongs to one model) and prints ratios.

A measurement is of one config, one :data:`VARIANTS` entry (the method or
one of its per-task-pass floors) and one :class:`BenchmarkMode`: the
precision (fp32, or autocast to bf16 / fp16 with
``MultiTaskAmpOptimWrapper`` for training), sequential or task-batched
backbone passes (``model.backbone.batched_task_passes``) and activation
checkpointing (``with_cp`` of the wrapped backbone).
"""
import contextlib
import inspect
import time
from statistics import median
from typing import Dict, List, NamedTuple, Optional

import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS, init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS

from ..models.run_mode import RunMode
from ..registry import TUNERS
from ..structures import MultiTaskDataSample
from .config_loading import load_config
from .model_building import count_parameters, quiet_init_log
from .offline import strip_pretrained

#: Variants of a PEFTBackbone config: the method itself, and the tuner
#: replaced by PerTaskPass (one frozen pass per task, with / without the
#: backward pass through the backbone).
VARIANTS = {
    'method': None,
    'floor': dict(type='PerTaskPass', backward_through_backbone=True),
    'floor-fwd': dict(type='PerTaskPass', backward_through_backbone=False),
}

#: ``--precision`` values and their autocast dtypes (None: plain fp32).
PRECISIONS = {'fp32': None, 'bf16': 'bfloat16', 'fp16': 'float16'}

#: ``--passes`` values: the T per-task backbone passes one after another,
#: or as one pass over T x B images (``batched_task_passes=True``).
PASSES = ('sequential', 'batched')

#: The optim wrapper of mixed-precision training (``mmpoly.engine.optim``).
AMP_OPTIM_WRAPPER = 'MultiTaskAmpOptimWrapper'


class BenchmarkMode(NamedTuple):
    """How a model is run: precision, backbone passes, checkpointing.

    Attributes:
        precision: A :data:`PRECISIONS` key.
        passes: A :data:`PASSES` value.
        with_cp: Activation checkpointing in the (wrapped) backbone.
    """
    precision: str = 'fp32'
    passes: str = 'sequential'
    with_cp: bool = False

    @property
    def label(self) -> str:
        """E.g. ``'bf16 batched cp'``."""
        return ' '.join([self.precision, self.passes] +
                        (['cp'] if self.with_cp else []))

    @property
    def autocast_dtype(self) -> Optional[str]:
        """The autocast dtype name, None for fp32."""
        return PRECISIONS[self.precision]


def amp_precision(device: str) -> str:
    """The precision ``--amp`` means on ``device`` (as the AMP optim
    wrapper's automatic dtype: bf16 on CPU, fp16 on CUDA)."""
    return 'fp16' if device.startswith('cuda') else 'bf16'


def check_device(device: str) -> None:
    """Refuse a device this machine does not have, in one line."""
    try:
        kind = torch.device(device).type
    except RuntimeError:
        raise ValueError(f'--device {device}: expected cpu or cuda[:i]')
    if kind == 'cuda':
        if not torch.cuda.is_available():
            raise ValueError(f'--device {device}: CUDA is not available on '
                             'this machine (use --device cpu)')
        index = torch.device(device).index
        if index is not None and index >= torch.cuda.device_count():
            raise ValueError(f'--device {device}: this machine has '
                             f'{torch.cuda.device_count()} CUDA device(s)')
    elif kind != 'cpu':
        raise ValueError(f'--device {device}: expected cpu or cuda[:i]')


def autocast(device: str, precision: str):
    """The autocast context of ``precision`` on ``device`` (a null context
    for fp32), from :func:`mmpoly.engine.autocast_context`."""
    dtype = PRECISIONS[precision]
    if dtype is None:
        return contextlib.nullcontext()
    try:
        from ..engine import autocast_context
    except ImportError:
        raise ValueError(f'--precision {precision}: this mmpoly has no '
                         'mmpoly.engine.autocast_context (mixed precision)')
    return autocast_context(device, dtype)


def build_optim_wrapper(params: List[torch.nn.Parameter],
                        precision: str) -> OptimWrapper:
    """AdamW (lr 1e-4) in an ``OptimWrapper`` for fp32, in a
    ``MultiTaskAmpOptimWrapper`` of the precision's dtype otherwise."""
    optimizer = torch.optim.AdamW(params, lr=1e-4)
    dtype = PRECISIONS[precision]
    if dtype is None:
        return OptimWrapper(optimizer)
    return OPTIM_WRAPPERS.build(
        dict(type=AMP_OPTIM_WRAPPER, dtype=dtype, optimizer=optimizer))


def check_precision(device: str, precision: str) -> None:
    """Refuse, in one line, a precision that ``device`` cannot run.

    Runs a small matmul under the precision's autocast (it must come out
    in that dtype) and builds its optim wrapper.

    Raises:
        ValueError: e.g. ``--precision bf16 on cuda: ...``.
    """
    if precision not in PRECISIONS:
        raise ValueError(f'--precision {precision}: expected one of '
                         f'{", ".join(PRECISIONS)}')
    dtype = PRECISIONS[precision]
    if dtype is None:
        return
    import mmpoly  # noqa: F401  (registers the optim wrappers)
    from .cli import error_message
    autocast(device, precision)  # refuses a missing autocast_context
    if OPTIM_WRAPPERS.get(AMP_OPTIM_WRAPPER) is None:
        raise ValueError(f'--precision {precision}: this mmpoly registers no '
                         f'{AMP_OPTIM_WRAPPER} (mmpoly.engine.optim)')
    if dtype == 'bfloat16' and device.startswith('cuda') and \
            not _cuda_bf16_native(device):
        raise ValueError(f'--precision {precision} on {device}: '
                         f'{torch.cuda.get_device_name(device)} has no '
                         'native bfloat16 (use fp16)')
    x = torch.ones(8, 8, device=device, requires_grad=True)
    try:
        with autocast(device, precision), quiet_init_log():
            y = x @ x
            build_optim_wrapper([x], precision)
    except Exception as e:  # noqa: B902 - refused in one line
        raise ValueError(f'--precision {precision} on {device}: '
                         f'{error_message(e)}')
    if y.dtype != getattr(torch, dtype):
        raise ValueError(f'--precision {precision} on {device}: autocast '
                         f'runs matmuls in {y.dtype} here, not {dtype}')


def _cuda_bf16_native(device: str) -> bool:
    """Whether the CUDA device computes in bfloat16 natively (compute
    capability 8.0 or above: not emulated)."""
    return torch.cuda.get_device_capability(torch.device(device))[0] >= 8


def _config_run_mode(tuner: Optional[dict], config: str) -> RunMode:
    """The run mode a ``PEFTBackbone`` tuner config gives (as
    :class:`~mmpoly.models.tuners.BaseTuner` sets it), without building
    it."""
    if tuner is None or tuner.get('shared', False):
        return RunMode.SHARED
    cls = TUNERS.get(tuner['type'])
    if cls is None:
        raise ValueError(f'{config}: model.backbone.tuner.type '
                         f'{tuner["type"]!r} is not a registered tuner')
    return cls.own_run_mode


def _backbone_class(backbone_cfg: dict):
    cls = backbone_cfg.get('type')
    return MODELS.get(cls) if isinstance(cls, str) else cls


def check_mode_fits(config: str, mode: BenchmarkMode) -> None:
    """Refuse, in one line, a mode the config's model cannot run.

    Task-batched passes need a ``PEFTBackbone`` whose method runs one pass
    per task; ``with_cp`` needs a backbone that takes ``with_cp``.
    """
    if mode.passes not in PASSES:
        raise ValueError(f'--passes {mode.passes}: expected one of '
                         f'{", ".join(PASSES)}')
    cfg = load_config(config)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    backbone = cfg.model.backbone
    peft = backbone.get('type') == 'PEFTBackbone'
    if mode.passes == 'batched':
        if not peft:
            raise ValueError(
                f'{config}: --passes batched needs a PEFTBackbone model '
                f'(one backbone pass per task); its backbone is '
                f'{backbone.get("type")}, one shared pass')
        tuner = backbone.get('tuner')
        run_mode = _config_run_mode(tuner, config)
        if not run_mode.passes_per_task:
            method = tuner['type'] if tuner else 'no tuner'
            raise ValueError(
                f'{config}: --passes batched: {method} runs one backbone '
                f'pass for all tasks (run mode {run_mode.value}), there are '
                'no per-task passes to batch; use --passes sequential')
    if mode.with_cp:
        inner = backbone['backbone'] if peft else backbone
        cls = _backbone_class(inner)
        if cls is None or \
                'with_cp' not in inspect.signature(cls).parameters:
            raise ValueError(f'{config}: --with-cp on: the backbone '
                             f'{inner.get("type")} takes no with_cp')


def apply_mode(model_cfg: dict, mode: BenchmarkMode) -> dict:
    """Set ``batched_task_passes`` and ``with_cp`` in a model config (in
    place; checked beforehand by :func:`check_mode_fits`)."""
    backbone = model_cfg['backbone']
    peft = backbone.get('type') == 'PEFTBackbone'
    if mode.passes == 'batched':
        backbone['batched_task_passes'] = True
    if mode.with_cp:
        (backbone['backbone'] if peft else backbone)['with_cp'] = True
    return model_cfg


def build_variant(
    config: str,
    variant: str = 'method',
    mode: BenchmarkMode = BenchmarkMode()
) -> torch.nn.Module:
    """Build ``config``'s model (no pretrained weights) as ``variant`` in
    ``mode`` (its passes and checkpointing; precision is not a model
    setting)."""
    cfg = load_config(config)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model_cfg = strip_pretrained(cfg.model.to_dict())
    if VARIANTS[variant] is not None:
        backbone = model_cfg['backbone']
        if backbone.get('type') != 'PEFTBackbone':
            raise ValueError(f'{config}: variant {variant!r} needs a '
                             'PEFTBackbone model')
        backbone['tuner'] = dict(VARIANTS[variant])
    return MODELS.build(apply_mode(model_cfg, mode))


def fake_data(tasks, batch: int, size: int, seed: int = 0) -> dict:
    """A data batch as a dataloader would give it (uint8 images + gt).

    Args:
        tasks: The model's :class:`~mmpoly.tasks.TaskSet`; each task makes
            random ground truth of its own kind.
    """
    g = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(batch):
        inputs.append(
            torch.randint(
                0, 256, (3, size, size), generator=g, dtype=torch.uint8))
        s = MultiTaskDataSample(
            metainfo=dict(img_shape=(size, size), ori_shape=(size, size)))
        for task in tasks.values():
            s.set_field(
                PixelData(data=task.fake_gt(size, size, g)), task.gt_key)
        samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


def device_name(device: str) -> str:
    """The CUDA card's name, or the CPU's model name (``cpu`` if unknown)."""
    if device.startswith('cuda'):
        return torch.cuda.get_device_name(torch.device(device))
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return 'cpu'


def _sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def _proc_kb(field: str) -> Optional[int]:
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    else:
        try:
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')  # resets VmHWM (peak resident set size)
        except OSError:
            pass


def _resident_mb(device: str) -> Optional[float]:
    """Memory held now: CUDA allocated, or the process's resident set."""
    if device.startswith('cuda'):
        return torch.cuda.memory_allocated() / 2**20
    kb = _proc_kb('VmRSS')
    return None if kb is None else kb / 1024


def _peak_mb(device: str) -> Optional[float]:
    if device.startswith('cuda'):
        return torch.cuda.max_memory_allocated() / 2**20
    kb = _proc_kb('VmHWM')
    return None if kb is None else kb / 1024


def _check_model_mode(config: str, model: torch.nn.Module,
                      mode: BenchmarkMode) -> None:
    """The built model runs ``mode``'s passes (a second, authoritative
    check after :func:`check_mode_fits`)."""
    if mode.passes != 'batched':
        return
    backbone = model.backbone
    if not getattr(backbone, 'batched_task_passes', False):
        raise ValueError(f'{config}: --passes batched: '
                         f'{type(backbone).__name__} has no '
                         'batched_task_passes switch')
    if not backbone.run_mode.passes_per_task:
        raise ValueError(f'{config}: --passes batched: the method runs one '
                         'backbone pass for all tasks (run mode '
                         f'{backbone.run_mode.value})')


def measure(
    config: str,
    variant: str = 'method',
    size: int = 448,
    batch: int = 2,
    device: str = 'cpu',
    warmup: int = 1,
    iters: int = 3,
    mode: BenchmarkMode = BenchmarkMode()) -> Dict[str, object]:
    """Measure one model; see ``tools/analysis/benchmark.py``.

    Args:
        config: Config file (or short name).
        variant: A :data:`VARIANTS` key.
        size: Input side (square ``size x size`` images).
        batch: Images per step.
        device: ``cpu`` or ``cuda[:i]``.
        warmup: Untimed training steps first.
        iters: Timed training steps (and timed inference calls).
        mode: Precision, passes and checkpointing.

    Returns:
        ``config``, ``variant``, ``precision``, ``passes``, ``with_cp``,
        ``size``, ``batch``, ``device_name``; ``trainable``;
        ``train_step_s`` (median forward + backward + optimiser step, all
        tasks); ``train_img_s`` (``batch / train_step_s``);
        ``infer_ms_per_img`` (median ``test_step`` per image, all tasks,
        after a first call); ``peak_train_mb`` (CUDA: max allocated; CPU:
        peak resident set of the process during the timed steps);
        ``step_mem_mb`` (that peak less what was held before the timed
        steps: weights, optimiser state and, on a CPU, the libraries; so
        mostly the step's activations) and ``generate_calls_warm``
        (hypernetwork generations during warm inference; 0 means cached).
    """
    torch.manual_seed(0)
    model = build_variant(config, variant, mode).to(device)
    _check_model_mode(config, model, mode)
    trainable, _ = count_parameters(model)
    tasks = model.task_set
    optim = build_optim_wrapper(
        [p for p in model.parameters() if p.requires_grad], mode.precision)
    data = fake_data(tasks, batch, size)

    model.train()
    for _ in range(warmup):
        model.train_step(data, optim)
    _sync(device)
    _reset_peak(device)
    resident = _resident_mb(device)
    times: List[float] = []
    for _ in range(iters):
        t0 = time.perf_counter()
        model.train_step(data, optim)
        _sync(device)
        times.append(time.perf_counter() - t0)
    peak = _peak_mb(device)

    model.eval()
    calls = []
    tuner = getattr(model.backbone, 'tuner', None)
    if tuner is not None and hasattr(tuner, 'generate'):
        original = tuner.generate

        def counting(task):
            calls.append(task)
            return original(task)

        tuner.generate = counting
    with torch.no_grad(), autocast(device, mode.precision):
        model.test_step(data)  # first call (fills eval caches)
        calls.clear()
        infer = []
        for _ in range(iters):
            t0 = time.perf_counter()
            model.test_step(data)
            _sync(device)
            infer.append(time.perf_counter() - t0)
    step = median(times)
    return dict(
        config=config,
        variant=variant,
        precision=mode.precision,
        passes=mode.passes,
        with_cp=mode.with_cp,
        size=size,
        batch=batch,
        device_name=device_name(device),
        trainable=trainable,
        train_step_s=step,
        train_img_s=batch / step,
        infer_ms_per_img=1000 * median(infer) / batch,
        peak_train_mb=peak,
        step_mem_mb=None if peak is None or resident is None else max(
            0.0, peak - resident),
        generate_calls_warm=len(calls))
