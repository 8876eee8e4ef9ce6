# dora-mtlora_swin-t_pascal-context.py with shared_rank=16.
_base_ = ['./dora-mtlora_swin-t_pascal-context.py']
model = dict(backbone=dict(tuner=dict(shared_rank=16)))
