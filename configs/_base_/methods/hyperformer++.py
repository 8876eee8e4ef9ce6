# Hyperformer++: one hypernetwork per stage with full generators, i.e.
# Polyhistor without its decomposition (the paper's ablation), at
# Polyhistor's E / h / P / ρ and positions.
_base_ = ['./polyhistor.py']
tuner = dict(type='HyperformerPP', rank=None)
