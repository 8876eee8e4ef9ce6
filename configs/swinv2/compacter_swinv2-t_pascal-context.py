# compacter on a frozen ImageNet-1k Swin-V2-T (256 px, window 16),
# PASCAL-Context (4 tasks).
_base_ = [
    '../_base_/peft_swinv2-t_pascal-context.py',
    '../_base_/methods/compacter.py'
]
model = dict(backbone=dict(tuner={{_base_.tuner}}))
