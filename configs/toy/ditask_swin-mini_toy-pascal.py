# ditask on the synthetic toy data (frozen, randomly initialised small Swin).
_base_ = [
    './_base_/peft_swin-mini_toy-pascal.py', '../_base_/methods/ditask.py'
]
model = dict(backbone=dict(tuner={{_base_.tuner}}))
