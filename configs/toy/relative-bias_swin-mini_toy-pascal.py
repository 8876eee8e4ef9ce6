# relative-bias on the synthetic toy data (frozen, randomly initialised small Swin).
_base_ = [
    '../_base_/models/peft_swin-mini.py',
    '../_base_/datasets/toy_pascal_mt.py', '../_base_/default_runtime.py',
    '../_base_/schedules/toy.py', '../_base_/methods/relative-bias.py'
]
model = dict(backbone=dict(tuner={{_base_.tuner}}))
