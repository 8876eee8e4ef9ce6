# Decoders only (frozen, randomly initialised small Swin + per-task output
# norms) on the synthetic toy data.
_base_ = [
    '../_base_/models/multitask_swin-mini.py',
    '../_base_/datasets/toy_pascal_mt.py', '../_base_/default_runtime.py',
    '../_base_/schedules/toy.py'
]
model = dict(
    backbone=dict(
        _delete_=True, type='PEFTBackbone', backbone={{_base_.swin}}))
