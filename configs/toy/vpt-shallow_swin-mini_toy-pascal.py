# vpt-shallow on the synthetic toy data (frozen, randomly initialised small Swin).
_base_ = [
    '../_base_/models/multitask_swin-mini.py',
    '../_base_/datasets/toy_pascal_mt.py', '../_base_/default_runtime.py',
    '../_base_/schedules/toy.py', '../_base_/methods/vpt-shallow.py'
]
model = dict(
    backbone=dict(
        _delete_=True,
        type='PEFTBackbone',
        backbone={{_base_.swin}},
        tuner={{_base_.tuner}},
        save_trainable_only=True))
