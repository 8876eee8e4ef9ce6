# tadformer_swin-t_pascal-context.py with rank=16.
_base_ = ['./tadformer_swin-t_pascal-context.py']
model = dict(backbone=dict(tuner=dict(rank=16)))
