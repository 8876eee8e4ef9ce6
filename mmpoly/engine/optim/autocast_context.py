"""The autocast context of mixed precision on any device (CPU included)."""
import functools
import logging
from typing import Optional, Union

import torch
from mmengine.logging import print_log

#: The low-precision dtypes autocast may run in, by name.
AMP_DTYPES = {'float16': torch.float16, 'bfloat16': torch.bfloat16}

DeviceLike = Union[str, torch.device]
DtypeLike = Optional[Union[str, torch.dtype]]

#: ``/proc/cpuinfo`` flags of the CPU instructions that compute in bfloat16.
NATIVE_BF16_CPU_FLAGS = ('avx512_bf16', 'amx_bf16')


def cpu_has_native_bfloat16(
        cpuinfo: str = '/proc/cpuinfo') -> Optional[bool]:
    """Whether this CPU has bfloat16 instructions (AVX-512-BF16 or AMX).

    Without them, bfloat16 autocast on a CPU converts to float32 and back
    around every product, which is slower than float32 itself.

    Args:
        cpuinfo: The file listing the CPU's flags.

    Returns:
        True or False as ``cpuinfo``'s flags say, None where it cannot be
        read (not Linux).
    """
    try:
        with open(cpuinfo) as f:
            text = f.read()
    except OSError:
        return None
    flags = set()
    for line in text.splitlines():
        if line.startswith('flags'):
            flags.update(line.partition(':')[2].split())
    return any(flag in flags for flag in NATIVE_BF16_CPU_FLAGS)


@functools.lru_cache(maxsize=None)
def _warn_emulated_cpu_bfloat16() -> None:
    """Says once per process that bfloat16 autocast will be slow here."""
    if cpu_has_native_bfloat16() is False:
        print_log(
            'mixed precision on this CPU: it has no bfloat16 instructions '
            f'(none of {", ".join(NATIVE_BF16_CPU_FLAGS)} in /proc/cpuinfo), '
            'so bfloat16 autocast is emulated and slower than float32; '
            'leave --amp off here (README, "Speed and memory")',
            logger='current',
            level=logging.WARNING)


def autocast_dtype(device: DeviceLike, dtype: DtypeLike = None) -> torch.dtype:
    """The dtype mixed precision runs in on ``device``.

    Args:
        device: ``'cpu'``, ``'cuda'``, ``'cuda:1'`` or a
            :class:`torch.device`.
        dtype: ``'float16'``, ``'bfloat16'`` (or the torch dtype), or None
            for the device's default: bfloat16 on a CPU (AMX /
            AVX-512-BF16 kernels; fp16 has no fast CPU path and needs a loss
            scaler), float16 elsewhere (fp16 with dynamic loss scaling, how
            GPUs train by default).

    Raises:
        ValueError: ``dtype`` is not one of :data:`AMP_DTYPES`, or CUDA
            bfloat16 on a card without it.

    Logs a warning, once per process, when it is bfloat16 on a CPU without
    bfloat16 instructions (:func:`cpu_has_native_bfloat16`).
    """
    device_type = torch.device(device).type
    dtype = _resolve_dtype(device_type, dtype)
    if device_type == 'cpu' and dtype == torch.bfloat16:
        _warn_emulated_cpu_bfloat16()
    return dtype


def _resolve_dtype(device_type: str, dtype: DtypeLike) -> torch.dtype:
    """:func:`autocast_dtype` without the CPU check."""
    if dtype is None:
        return torch.bfloat16 if device_type == 'cpu' else torch.float16
    if isinstance(dtype, str):
        if dtype not in AMP_DTYPES:
            raise ValueError(f'mixed precision dtype {dtype!r}: expected one '
                             f'of {sorted(AMP_DTYPES)} or None (bfloat16 on '
                             'a CPU, float16 on a GPU)')
        dtype = AMP_DTYPES[dtype]
    if dtype not in AMP_DTYPES.values():
        raise ValueError(f'mixed precision dtype {dtype}: expected '
                         'torch.float16, torch.bfloat16 or None')
    if (device_type == 'cuda' and dtype == torch.bfloat16
            and not torch.cuda.is_bf16_supported()):
        raise ValueError('mixed precision dtype bfloat16: this CUDA device '
                         'does not support it; use float16')
    return dtype


def autocast_context(device: DeviceLike,
                     dtype: DtypeLike = None,
                     enabled: bool = True) -> torch.autocast:
    """``torch.autocast`` for ``device`` in :func:`autocast_dtype`'s dtype.

    Unlike MMEngine's ``autocast``, the device is given, not taken from
    whether CUDA exists, and a CPU may run float16 (to test the loss
    scaler). Inside it, matrix products and convolutions run in the low
    precision; mmpoly keeps its precision-critical parts in float32 (see
    :mod:`mmpoly.engine.optim.multitask_amp_optim_wrapper`).

    Example::

        with torch.no_grad(), autocast_context('cpu'):  # bfloat16
            logits = model(inputs)

    Args:
        device: Where the model runs (``'cpu'``, ``'cuda'``...).
        dtype: See :func:`autocast_dtype`.
        enabled: False gives a context that changes nothing.

    Returns:
        The (not yet entered) context manager.
    """
    device_type = torch.device(device).type
    return torch.autocast(
        device_type=device_type,
        dtype=autocast_dtype(device_type, dtype),
        enabled=enabled)
