_base_ = ['./multitask_swin-t.py']
swin_checkpoint = 'https://download.openmmlab.com/mmclassification/v0/swin-transformer/swin_base_224_b16x64_300e_imagenet_20210616_190742-93230b0d.pth'  # noqa
swin = dict(
    arch='base',
    drop_path_rate=0.3,
    init_cfg=dict(checkpoint=swin_checkpoint))
model = dict(backbone=swin)
