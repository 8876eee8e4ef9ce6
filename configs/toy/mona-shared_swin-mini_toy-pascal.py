# mona-shared on the synthetic toy data (frozen, random small Swin).
_base_ = [
    './_base_/peft_swin-mini_toy-pascal.py', '../_base_/methods/mona-shared.py'
]
model = dict(backbone=dict(tuner={{_base_.tuner}}))
