# The Swin-V2-S and Swin-V2-B backbones (mmpretrain, ImageNet-1k at 256 px,
# windows 16 / 16 / 16 / 8 as they were trained), the Swin-V2-B pretrained on
# ImageNet-21k, and a small randomly initialised Swin-V2 for the toy configs
# and tests, as overrides of the Swin-V2-T config `swinv2` of
# multitask_swinv2-t.py: a config of another size inherits its Swin-V2-T
# config and this file, and merges one of these into its backbone.
swinv2_s = dict(
    arch='small',
    drop_path_rate=0.3,
    init_cfg=dict(
        checkpoint=
        'https://download.openmmlab.com/mmclassification/v0/swin-v2/swinv2-small-w16_3rdparty_in1k-256px_20220803-b707d206.pth'  # noqa
    ))
swinv2_b = dict(
    arch='base',
    drop_path_rate=0.3,
    init_cfg=dict(
        checkpoint=
        'https://download.openmmlab.com/mmclassification/v0/swin-v2/swinv2-base-w16_3rdparty_in1k-256px_20220803-5a1886b7.pth'  # noqa
    ))
# Swin-V2-B pretrained on ImageNet-21k at 192 px with windows 12 / 12 / 12 /
# 6, then fine-tuned on ImageNet-1k at 256 px with windows 16 / 16 / 16 / 8
# (mmpretrain's swinv2-base-w16_in21k-pre_3rdparty_in1k-256px). Its
# continuous position bias normalises offsets by the pretraining windows,
# so the model is told them.
swinv2_b_in21k = dict(
    arch='base',
    drop_path_rate=0.3,
    pretrained_window_sizes=[12, 12, 12, 6],
    init_cfg=dict(
        checkpoint=
        'https://download.openmmlab.com/mmclassification/v0/swin-v2/swinv2-base-w16_in21k-pre_3rdparty_in1k-256px_20220803-8d7aa8ad.pth'  # noqa
    ))
# Swin-V2 with Swin-mini's widths (embed 32, depths 2 / 2 / 2 / 2) and
# mmpretrain's default window 8.
swinv2_mini = dict(
    arch=dict(
        _delete_=True,
        embed_dims=32,
        depths=[2, 2, 2, 2],
        num_heads=[1, 2, 4, 8],
        extra_norm_every_n_blocks=0),
    window_size=8,
    drop_path_rate=0.1,
    init_cfg=None)
