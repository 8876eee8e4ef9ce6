"""Float32 islands: code that runs in float32 inside a mixed-precision
forward (see :mod:`mmpoly.engine.optim.multitask_amp_optim_wrapper` for
which parts of mmpoly use them)."""
import functools
from contextlib import ExitStack, contextmanager
from typing import Any, Callable, Iterator, TypeVar

import torch

#: The device types whose autocast an island turns off.
AUTOCAST_DEVICES = ('cpu', 'cuda')

F = TypeVar('F', bound=Callable[..., Any])


@contextmanager
def float32_island() -> Iterator[None]:
    """Turn autocast off (on every device where it is on) inside.

    Tensors made inside keep the dtypes of their inputs: cast
    low-precision inputs with :func:`to_float32` (or decorate the function
    with :func:`float32_function`). Outside autocast this changes nothing.
    """
    with ExitStack() as stack:
        for device in AUTOCAST_DEVICES:
            if torch.is_autocast_enabled(device):
                stack.enter_context(torch.autocast(device, enabled=False))
        yield


def to_float32(value: Any) -> Any:
    """``value`` with its float16 / bfloat16 tensors cast to float32 (in
    lists, tuples and dict values too); anything else as it is."""
    if isinstance(value, torch.Tensor):
        if value.dtype in (torch.float16, torch.bfloat16):
            return value.float()
        return value
    if type(value) in (list, tuple):
        return type(value)(to_float32(v) for v in value)
    if type(value) is dict:
        return {k: to_float32(v) for k, v in value.items()}
    return value


def float32_function(func: F) -> F:
    """Decorator: run ``func`` in a :func:`float32_island` with its
    low-precision tensor arguments cast to float32 (:func:`to_float32`)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with float32_island():
            return func(*to_float32(args), **to_float32(kwargs))

    return wrapper  # type: ignore[return-value]
