# decoder-only_swinv2-t_nyud.py with Swin-V2-B.
_base_ = [
    './decoder-only_swinv2-t_nyud.py', '../_base_/models/swinv2_sizes.py'
]
model = dict(backbone=dict(backbone={{_base_.swinv2_b}}))
