# shared-adapter on a frozen DINOv2 ViT-S/14, PASCAL-Context (4 tasks).
_base_ = [
    '../_base_/peft_vit-s-p14-dinov2_pascal-context.py',
    '../_base_/methods/shared-adapter.py'
]
model = dict(backbone=dict(tuner={{_base_.tuner}}))
