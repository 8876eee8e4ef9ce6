# phm-adapter_swin-t_pascal-context.py with Swin-B.
_base_ = ['./phm-adapter_swin-t_pascal-context.py', '../_base_/models/swin_sizes.py']
model = dict(backbone=dict(backbone={{_base_.swin_b}}))
