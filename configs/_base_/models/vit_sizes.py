# The DINOv2 ViT-B/14 and an ImageNet-21k ViT-B/16 (mmpretrain), and a
# small randomly initialised ViT for the toy configs and tests, as overrides
# of the DINOv2 ViT-S/14 config `vit` of multitask_vit-s-p14-dinov2.py: a
# config of another ViT inherits its ViT-S/14 config and this file, and
# merges one of these into model.backbone.backbone. All keep 12 layers and
# outputs after layers 3, 6, 9 and 12.
vit_b_p14_dinov2 = dict(
    arch='base',
    init_cfg=dict(
        checkpoint=
        'https://download.openmmlab.com/mmpretrain/v1.0/dinov2/vit-base-p14_dinov2-pre_3rdparty_20230426-ba246503.pth'  # noqa
    ))
# ViT-B/16 pretrained on ImageNet-21k and fine-tuned on ImageNet-1k at 384
# px (mmpretrain's vit-base-p16_in21k-pre_3rdparty_in1k-384px, Google's
# AugReg weights): no layer scale. It was trained on inputs normalised with
# mean = std = 127.5, which its configs also set as
# model.data_preprocessor=vit_b_p16_in21k_data_preprocessor.
vit_b_p16_in21k = dict(
    arch='base',
    img_size=384,
    patch_size=16,
    layer_scale_init_value=0.,
    init_cfg=dict(
        checkpoint=
        'https://download.openmmlab.com/mmclassification/v0/vit/finetune/vit-base-p16_in21k-pre-3rdparty_ft-64xb64_in1k-384_20210928-98e8652b.pth'  # noqa
    ))
vit_b_p16_in21k_data_preprocessor = dict(
    mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5])
# A 4-layer ViT (width 64, 16 x 16 patches: the small Swins' strides on the
# pyramid) with outputs after every layer. Its layer scale is there, as in
# DINOv2, but starts at 1, so that the random blocks are not near-identity.
vit_mini = dict(
    arch=dict(
        _delete_=True,
        embed_dims=64,
        num_layers=4,
        num_heads=2,
        feedforward_channels=256),
    img_size=96,
    patch_size=16,
    layer_scale_init_value=1.0,
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.1,
    init_cfg=None)
