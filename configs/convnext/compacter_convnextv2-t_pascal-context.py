# compacter_convnext-t_pascal-context.py with ConvNeXt-V2-T (FCMAE-pretrained,
# fine-tuned on ImageNet-1k).
_base_ = [
    './compacter_convnext-t_pascal-context.py',
    '../_base_/models/convnext_sizes.py'
]
model = dict(backbone=dict(backbone={{_base_.convnextv2_t}}))
