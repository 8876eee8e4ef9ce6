# phm-adapter on a frozen ImageNet-1k ConvNeXt-T, PASCAL-Context (4 tasks).
_base_ = [
    '../_base_/peft_convnext-t_pascal-context.py',
    '../_base_/methods/phm-adapter.py'
]
model = dict(backbone=dict(tuner={{_base_.tuner}}))
