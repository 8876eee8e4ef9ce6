# hyperformer_convnext-t_pascal-context.py with ConvNeXt-B.
_base_ = [
    './hyperformer_convnext-t_pascal-context.py',
    '../_base_/models/convnext_sizes.py'
]
model = dict(backbone=dict(backbone={{_base_.convnext_b}}))
