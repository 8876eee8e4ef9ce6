# compacter_vit-s-p14-dinov2_pascal-context.py with DINOv2 ViT-B/14.
_base_ = [
    './compacter_vit-s-p14-dinov2_pascal-context.py',
    '../_base_/models/vit_sizes.py'
]
model = dict(backbone=dict(backbone={{_base_.vit_b_p14_dinov2}}))
