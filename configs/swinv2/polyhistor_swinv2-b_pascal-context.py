# polyhistor_swinv2-t_pascal-context.py with Swin-V2-B.
_base_ = [
    './polyhistor_swinv2-t_pascal-context.py',
    '../_base_/models/swinv2_sizes.py'
]
model = dict(backbone=dict(backbone={{_base_.swinv2_b}}))
