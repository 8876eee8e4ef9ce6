# polyhistor_swinv2-t_nyud.py with Swin-V2-S.
_base_ = ['./polyhistor_swinv2-t_nyud.py', '../_base_/models/swinv2_sizes.py']
model = dict(backbone=dict(backbone={{_base_.swinv2_s}}))
