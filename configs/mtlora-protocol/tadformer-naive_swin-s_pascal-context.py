# tadformer-naive_swin-t_pascal-context.py with Swin-S.
_base_ = ['./tadformer-naive_swin-t_pascal-context.py', '../_base_/models/swin_sizes.py']
model = dict(backbone=dict(backbone={{_base_.swin_s}}))
