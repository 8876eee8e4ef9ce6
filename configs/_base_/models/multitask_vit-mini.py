# A small ViT (width 64, 4 layers) from random initialisation with the
# simple feature pyramid, all trained, for the toy configs and tests, with
# 64-channel heads; otherwise the ViT multi-task model.
_base_ = ['./multitask_vit-s-p14-dinov2.py', './vit_sizes.py']
model = dict(
    backbone=dict(backbone={{_base_.vit_mini}}), decode_head=dict(channels=64))
