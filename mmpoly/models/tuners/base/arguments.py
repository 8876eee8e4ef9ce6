"""Checks of the arguments that several tuners share."""
from typing import Iterable


def check_reduction(reduction, widths: Iterable[int]) -> int:
    """Check the adapter reduction ``ρ`` (``d = C / ρ``) against the widths.

    Raises:
        ValueError: if ``reduction`` is not a positive integer or does not
            divide one of ``widths``.
    """
    if isinstance(reduction, bool) or not isinstance(reduction, int) \
            or reduction < 1:
        raise ValueError(
            f'reduction must be a positive integer, got {reduction!r}')
    for width in widths:
        if width % reduction:
            raise ValueError(f'stage width {width} is not divisible by '
                             f'reduction {reduction}')
    return reduction


def check_choice(name: str, value, choices: Iterable) -> None:
    """Raise a ValueError naming ``name``, ``value`` and the ``choices``."""
    choices = sorted(choices)
    if value not in choices:
        raise ValueError(f'{name} must be one of {choices}, got {value!r}')
