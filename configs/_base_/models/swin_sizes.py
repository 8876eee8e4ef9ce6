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
