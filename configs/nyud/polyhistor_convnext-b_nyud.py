# polyhistor_convnext-t_nyud.py with ConvNeXt-B.
_base_ = [
    './polyhistor_convnext-t_nyud.py', '../_base_/models/convnext_sizes.py'
]
model = dict(backbone=dict(backbone={{_base_.convnext_b}}))
