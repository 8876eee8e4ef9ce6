# vpt-shallow: frozen ImageNet-1k Swin-T, the MTLoRA protocol, PASCAL-Context (4 tasks).
_base_ = ['../_base_/mtlora-protocol_swin-t_pascal-context.py', '../_base_/methods/vpt-shallow.py']
model = dict(backbone=dict(tuner={{_base_.tuner}}))
