# polyhistor_convnext-t_nyud.py with ConvNeXt-V2-T (FCMAE-pretrained,
# fine-tuned on ImageNet-1k).
_base_ = [
    './polyhistor_convnext-t_nyud.py', '../_base_/models/convnext_sizes.py'
]
model = dict(backbone=dict(backbone={{_base_.convnextv2_t}}))
