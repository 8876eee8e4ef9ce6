# polyhistor_convnext-t_nyud.py with ConvNeXt-S.
_base_ = [
    './polyhistor_convnext-t_nyud.py', '../_base_/models/convnext_sizes.py'
]
model = dict(backbone=dict(backbone={{_base_.convnext_s}}))
