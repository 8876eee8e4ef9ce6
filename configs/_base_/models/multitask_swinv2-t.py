# The multitask_swin-t model with a Swin-V2-T backbone (mmpretrain's
# swinv2-tiny-w16_3rdparty_in1k-256px: ImageNet-1k at 256 px, with the
# windows it was trained with, 16 / 16 / 16 / 8). Configs of other sizes
# merge an entry of swinv2_sizes.py into the backbone.
_base_ = ['./multitask_swin-t.py']
swinv2 = dict(
    type='mmpretrain.SwinTransformerV2',
    arch='tiny',
    img_size=256,
    window_size=[16, 16, 16, 8],
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.2,
    pad_small_map=True,
    init_cfg=dict(
        type='Pretrained',
        checkpoint=
        'https://download.openmmlab.com/mmclassification/v0/swin-v2/swinv2-tiny-w16_3rdparty_in1k-256px_20220803-9651cdd7.pth',  # noqa
        prefix='backbone.'))
model = dict(backbone=dict(_delete_=True, **swinv2))
