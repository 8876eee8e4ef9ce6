# mtlora-plus: frozen ImageNet-1k Swin-T, PASCAL-Context (4 tasks).
_base_ = ['../_base_/peft_swin-t_pascal-context.py', '../_base_/methods/mtlora-plus.py']
model = dict(backbone=dict(tuner={{_base_.tuner}}))
