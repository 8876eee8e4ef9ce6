# The Swin-S and Swin-B backbones (mmpretrain, ImageNet-1k weights), and a
# small randomly initialised Swin for the toy configs and tests, as
# overrides of the Swin-T config `swin` of multitask_swin-t.py: a config of
# another size inherits its Swin-T config and this file, and merges one of
# these into its backbone.
swin_s = dict(
    arch='small',
    drop_path_rate=0.3,
    init_cfg=dict(
        checkpoint='https://download.openmmlab.com/mmclassification/v0/swin-transformer/swin_small_224_b16x64_300e_imagenet_20210615_110219-7f9d988b.pth'  # noqa
    ))
swin_b = dict(
    arch='base',
    drop_path_rate=0.3,
    init_cfg=dict(
        checkpoint='https://download.openmmlab.com/mmclassification/v0/swin-transformer/swin_base_224_b16x64_300e_imagenet_20210616_190742-93230b0d.pth'  # noqa
    ))
swin_mini = dict(
    arch=dict(
        _delete_=True,
        embed_dims=32,
        depths=[2, 2, 2, 2],
        num_heads=[1, 2, 4, 8]),
    drop_path_rate=0.1,
    init_cfg=None)
# Swin-B pretrained on ImageNet-22k at 384 px with 12 x 12 windows, as
# MMSeg's swin-base-patch4-window12-in22k-384x384 configs use it (MMSeg's
# conversion of Microsoft's swin_base_patch4_window12_384_22k.pth; the
# model keeps window 12). The same weights also load from Microsoft's own
# file (converted on the fly), or, fine-tuned on ImageNet-1k, from
# mmpretrain's swin-base_in21k-pre-3rdparty_in1k-384:
# https://github.com/SwinTransformer/storage/releases/download/v1.0.0/swin_base_patch4_window12_384_22k.pth  # noqa
# https://download.openmmlab.com/mmclassification/v0/swin-transformer/convert/swin_base_patch4_window12_384_22kto1k-d59b0d1d.pth  # noqa
swin_b_in22k_w12 = dict(
    arch='base',
    img_size=384,
    window_size=12,
    drop_path_rate=0.3,
    init_cfg=dict(
        checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/swin/swin_base_patch4_window12_384_22k_20220317-e5c09f74.pth'  # noqa
    ))
