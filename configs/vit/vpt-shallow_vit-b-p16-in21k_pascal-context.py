# vpt-shallow_vit-s-p14-dinov2_pascal-context.py with the ViT-B/16 pretrained
# on ImageNet-21k and fine-tuned on ImageNet-1k at 384 px. Its inputs are
# normalised as in its pretraining (mean = std = 127.5). Prompts are
# initialised for its 16 x 16 patches.
_base_ = [
    './vpt-shallow_vit-s-p14-dinov2_pascal-context.py',
    '../_base_/models/vit_sizes.py'
]
model = dict(
    backbone=dict(
        backbone={{_base_.vit_b_p16_in21k}}, tuner=dict(patch_size=16)),
    data_preprocessor={{_base_.vit_b_p16_in21k_data_preprocessor}})
