# The ConvNeXt-S and ConvNeXt-B backbones (mmpretrain, ImageNet-1k), the
# ConvNeXt-B pretrained on ImageNet-21k, the ConvNeXt-V2 backbones, and
# small randomly initialised ConvNeXts for the toy configs and tests, as
# overrides of the ConvNeXt-T config `convnext` of multitask_convnext-t.py:
# a config of another size inherits its ConvNeXt-T config and this file, and
# merges one of these into its backbone.
convnext_s = dict(
    arch='small',
    drop_path_rate=0.3,
    init_cfg=dict(
        checkpoint=
        'https://download.openmmlab.com/mmclassification/v0/convnext/convnext-small_32xb128_in1k_20221207-4ab7052c.pth'  # noqa
    ))
convnext_b = dict(
    arch='base',
    drop_path_rate=0.3,
    init_cfg=dict(
        checkpoint=
        'https://download.openmmlab.com/mmclassification/v0/convnext/convnext-base_32xb128_in1k_20221207-fbdb5eb9.pth'  # noqa
    ))
# ConvNeXt-B pretrained on ImageNet-21k and fine-tuned on ImageNet-1k at
# 224 px (mmpretrain's convnext-base_in21k-pre_3rdparty_in1k).
convnext_b_in21k = dict(
    arch='base',
    drop_path_rate=0.3,
    init_cfg=dict(
        checkpoint=
        'https://download.openmmlab.com/mmclassification/v0/convnext/convnext-base_in21k-pre-3rdparty_32xb128_in1k_20220124-eb2d6ada.pth'  # noqa
    ))
# ConvNeXt-V2: global response normalisation in every block and no layer
# scale; FCMAE-pretrained, then fine-tuned on ImageNet-1k (mmpretrain's
# convnext-v2-{tiny,base}_fcmae-pre_3rdparty_in1k).
convnextv2_t = dict(
    arch='tiny',
    use_grn=True,
    layer_scale_init_value=0.,
    drop_path_rate=0.2,
    init_cfg=dict(
        checkpoint=
        'https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-tiny_fcmae-pre_3rdparty_in1k_20230104-471a86de.pth'  # noqa
    ))
convnextv2_b = dict(
    arch='base',
    use_grn=True,
    layer_scale_init_value=0.,
    drop_path_rate=0.3,
    init_cfg=dict(
        checkpoint=
        'https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-base_fcmae-pre_3rdparty_in1k_20230104-00a70fa4.pth'  # noqa
    ))
# ConvNeXt with Swin-mini's widths (32 / 64 / 128 / 256, depths 2 / 2 / 2 /
# 2), V1 blocks; PyTorch's default initialisation.
convnext_mini = dict(
    arch=dict(_delete_=True, depths=[2, 2, 2, 2], channels=[32, 64, 128, 256]),
    drop_path_rate=0.1,
    init_cfg=None)
# The same with ConvNeXt-V2 blocks; complete, so that it also merges into a
# backbone that already has convnext_mini.
convnextv2_mini = dict(
    arch=dict(_delete_=True, depths=[2, 2, 2, 2], channels=[32, 64, 128, 256]),
    use_grn=True,
    layer_scale_init_value=0.,
    drop_path_rate=0.1,
    init_cfg=None)
