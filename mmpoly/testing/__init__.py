"""Synthetic data sets in the real layouts, for tests, demos and toy runs."""
from .toy_nyud import generate_toy_nyud_mt
from .toy_pascal import generate_toy_pascal_mt

#: Data set type -> the generator of a toy data set in its layout.
TOY_GENERATORS = dict(
    PascalContextMTDataset=generate_toy_pascal_mt,
    NYUDv2MTDataset=generate_toy_nyud_mt)

__all__ = ['generate_toy_pascal_mt', 'generate_toy_nyud_mt', 'TOY_GENERATORS']
