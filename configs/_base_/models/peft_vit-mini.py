# peft_vit-s-p14-dinov2.py with the small ViT and the 64-channel heads of
# multitask_vit-mini.py.
_base_ = ['./peft_vit-s-p14-dinov2.py', './vit_sizes.py']
model = dict(
    backbone=dict(backbone={{_base_.vit_mini}}), decode_head=dict(channels=64))
