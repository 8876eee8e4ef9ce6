"""The adapter family of the benchmark, each under its own name.

Every variant is :class:`AdapterTuner` with the defaults of one method;
any argument can still be overridden in the config.
"""
from ....registry import TUNERS

from .adapter import AdapterTuner


@TUNERS.register_module()
class SharedAdapter(AdapterTuner):
    """One set of adapters shared by all tasks (one backbone pass)."""

    def __init__(self, shared: bool = True, **kwargs) -> None:
        super().__init__(shared=shared, **kwargs)


@TUNERS.register_module()
class LowRankAdapter(AdapterTuner):
    """Adapters whose ``W_down`` / ``W_up`` are rank-``k`` products."""

    def __init__(self, rank: int = 8, **kwargs) -> None:
        super().__init__(rank=rank, **kwargs)


@TUNERS.register_module()
class PHMAdapter(AdapterTuner):
    """Adapters with parameterised hypercomplex multiplication weights
    ``W = sum_i A_i ⊗ B_i`` (own rules, full blocks)."""

    def __init__(self, phm: dict = dict(n=4), **kwargs) -> None:
        super().__init__(phm=phm, **kwargs)


@TUNERS.register_module()
class Compacter(AdapterTuner):
    """Compacter: PHM adapters after attention and FFN with rank-one blocks
    and one rule tensor per task shared by all layers."""

    def __init__(self,
                 positions=('attn', 'ffn'),
                 phm: dict = dict(n=4, rank_one=True, shared_rules=True),
                 **kwargs) -> None:
        super().__init__(positions=positions, phm=phm, **kwargs)


@TUNERS.register_module()
class CompacterPP(Compacter):
    """Compacter++: Compacter with FFN adapters only."""

    def __init__(self, positions=('ffn', ), **kwargs) -> None:
        super().__init__(positions=positions, **kwargs)
