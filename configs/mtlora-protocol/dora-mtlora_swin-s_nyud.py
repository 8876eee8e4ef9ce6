# dora-mtlora_swin-t_nyud.py with Swin-S.
_base_ = ['./dora-mtlora_swin-t_nyud.py', '../_base_/models/swin_sizes.py']
model = dict(backbone=dict(backbone={{_base_.swin_s}}))
