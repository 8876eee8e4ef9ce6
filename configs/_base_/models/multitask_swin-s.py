_base_ = ['./multitask_swin-t.py']
swin_checkpoint = 'https://download.openmmlab.com/mmclassification/v0/swin-transformer/swin_small_224_b16x64_300e_imagenet_20210615_110219-7f9d988b.pth'  # noqa
swin = dict(
    arch='small',
    drop_path_rate=0.3,
    init_cfg=dict(checkpoint=swin_checkpoint))
model = dict(backbone=swin)
