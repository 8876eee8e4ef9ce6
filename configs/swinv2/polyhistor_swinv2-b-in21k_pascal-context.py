# polyhistor_swinv2-t_pascal-context.py with the Swin-V2-B pretrained on
# ImageNet-21k (192 px, window 12) and fine-tuned on ImageNet-1k (256 px,
# window 16).
_base_ = [
    './polyhistor_swinv2-t_pascal-context.py',
    '../_base_/models/swinv2_sizes.py'
]
model = dict(backbone=dict(backbone={{_base_.swinv2_b_in21k}}))
