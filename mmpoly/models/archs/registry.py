"""``ARCHS``: backbone class -> the describer of its family."""
from typing import Callable, Dict, Tuple, Type

import torch.nn as nn

from .description import ArchDescription, UnsupportedBackboneError

Describer = Callable[[nn.Module], ArchDescription]


class ArchRegistry:
    """Describers of backbone families, keyed by backbone class.

    A describer reads an :class:`~.description.ArchDescription` from a built
    backbone. Lookup walks the backbone's class hierarchy, so a subclass of
    a registered backbone is described like its parent unless it registers
    its own describer::

        @ARCHS.register(MyBackbone)
        def describe_my_backbone(backbone) -> ArchDescription:
            ...
    """

    def __init__(self) -> None:
        self._describers: Dict[Type[nn.Module], Describer] = {}

    def register(self, *classes: Type[nn.Module]) -> Callable:
        """Decorator registering a describer for ``classes``."""

        def add(describer: Describer) -> Describer:
            for cls in classes:
                if cls in self._describers:
                    raise KeyError(f'{cls.__module__}.{cls.__qualname__} '
                                   'already has an architecture describer')
                self._describers[cls] = describer
            return describer

        return add

    def remove(self, cls: Type[nn.Module]) -> None:
        """Forget ``cls`` (for tests that register a temporary family)."""
        self._describers.pop(cls, None)

    @property
    def families(self) -> Tuple[str, ...]:
        """Qualified names of the registered backbone classes."""
        return tuple(
            sorted(f'{c.__module__.split(".")[0]}.{c.__name__}'
                   for c in self._describers))

    def find(self, backbone: nn.Module) -> Describer:
        """The describer of ``backbone``'s class (or nearest base)."""
        for cls in type(backbone).__mro__:
            if cls in self._describers:
                return self._describers[cls]
        raise UnsupportedBackboneError(
            f'mmpoly has no architecture description of '
            f'{type(backbone).__name__} (described: '
            f'{", ".join(self.families)}); register one with '
            '@ARCHS.register (README: "Adding a new backbone")')

    def describe(self, backbone: nn.Module) -> ArchDescription:
        """The :class:`ArchDescription` of a built ``backbone``."""
        return self.find(backbone)(backbone)


#: The registry of backbone families.
ARCHS = ArchRegistry()


def describe_backbone(backbone: nn.Module) -> ArchDescription:
    """``ARCHS.describe(backbone)``."""
    return ARCHS.describe(backbone)
