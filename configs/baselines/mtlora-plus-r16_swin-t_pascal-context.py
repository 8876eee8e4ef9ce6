# mtlora-plus_swin-t_pascal-context.py with shared_rank=16, merge_rank=16.
_base_ = ['./mtlora-plus_swin-t_pascal-context.py']
model = dict(backbone=dict(tuner=dict(shared_rank=16, merge_rank=16)))
