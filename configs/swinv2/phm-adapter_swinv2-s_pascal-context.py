# phm-adapter_swinv2-t_pascal-context.py with Swin-V2-S.
_base_ = [
    './phm-adapter_swinv2-t_pascal-context.py',
    '../_base_/models/swinv2_sizes.py'
]
model = dict(backbone=dict(backbone={{_base_.swinv2_s}}))
