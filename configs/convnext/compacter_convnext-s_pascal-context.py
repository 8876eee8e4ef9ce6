# compacter_convnext-t_pascal-context.py with ConvNeXt-S.
_base_ = [
    './compacter_convnext-t_pascal-context.py',
    '../_base_/models/convnext_sizes.py'
]
model = dict(backbone=dict(backbone={{_base_.convnext_s}}))
