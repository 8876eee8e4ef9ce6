# polyhistor-lite_convnext-t_pascal-context.py with the ConvNeXt-B pretrained
# on ImageNet-21k and fine-tuned on ImageNet-1k.
_base_ = [
    './polyhistor-lite_convnext-t_pascal-context.py',
    '../_base_/models/convnext_sizes.py'
]
model = dict(backbone=dict(backbone={{_base_.convnext_b_in21k}}))
