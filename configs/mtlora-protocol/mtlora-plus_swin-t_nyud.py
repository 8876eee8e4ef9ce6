# mtlora-plus: frozen ImageNet-1k Swin-T, the MTLoRA protocol, NYUD-v2 (4 tasks).
_base_ = ['../_base_/mtlora-protocol_swin-t_nyud.py', '../_base_/methods/mtlora-plus.py']
model = dict(backbone=dict(tuner={{_base_.tuner}}))
