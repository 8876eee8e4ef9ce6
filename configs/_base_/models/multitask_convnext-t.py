# The multitask_swin-t model with a ConvNeXt-T backbone (mmpretrain's
# convnext-tiny_32xb128_in1k, ImageNet-1k) giving the four stage outputs,
# each through its own output norm (gap_before_final_norm=False: feature
# maps, not pooled vectors). Configs of other sizes and of ConvNeXt-V2
# merge an entry of convnext_sizes.py into the backbone.
_base_ = ['./multitask_swin-t.py']
convnext = dict(
    type='mmpretrain.ConvNeXt',
    arch='tiny',
    out_indices=(0, 1, 2, 3),
    gap_before_final_norm=False,
    drop_path_rate=0.2,
    init_cfg=dict(
        type='Pretrained',
        checkpoint=
        'https://download.openmmlab.com/mmclassification/v0/convnext/convnext-tiny_32xb128_in1k_20221207-998cf3e9.pth',  # noqa
        prefix='backbone.'))
model = dict(backbone=dict(_delete_=True, **convnext))
