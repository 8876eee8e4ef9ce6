# polyhistor on a frozen ImageNet-1k Swin-V2-T (256 px, window 16), NYUD-v2 (4
# tasks).
_base_ = ['./_base_/peft_swinv2-t_nyud.py', '../_base_/methods/polyhistor.py']
model = dict(backbone=dict(tuner={{_base_.tuner}}))
# hypernetworks at 0.1x the heads' rate (see _base_/methods/polyhistor.py)
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'backbone.tuner': dict(lr_mult=0.1)}))
