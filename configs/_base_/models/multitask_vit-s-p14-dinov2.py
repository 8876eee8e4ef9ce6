# The multitask_swin-t model with a plain ViT: DINOv2 ViT-S/14
# (mmpretrain's vit-small-p14_dinov2-pre_3rdparty: 518 px, layer scale),
# whose outputs after layers 3, 6, 9 and 12 (all at stride 14) the
# parameter-free simple feature pyramid resamples to four scales (x4, x2,
# x1, x0.5: strides 3.5 to 28) for the heads. The pyramid lives in
# PEFTBackbone, which here trains every backbone parameter (no tuner,
# nothing frozen) and keeps the backbone's own final norm: multi-task full
# fine-tuning. Configs of other ViTs merge an entry of vit_sizes.py into
# model.backbone.backbone.
_base_ = ['./multitask_swin-t.py']
vit = dict(
    type='mmpretrain.VisionTransformer',
    arch='dinov2-small',
    img_size=518,
    patch_size=14,
    layer_scale_init_value=1e-5,
    out_indices=(2, 5, 8, 11),
    out_type='featmap',
    final_norm=True,
    drop_path_rate=0.1,
    init_cfg=dict(
        type='Pretrained',
        checkpoint=
        'https://download.openmmlab.com/mmpretrain/v1.0/dinov2/vit-small-p14_dinov2-pre_3rdparty_20230426-5641ca5a.pth',  # noqa
        prefix='backbone.'))
vit_pyramid = dict(type='SimpleFeaturePyramid', scales=(4.0, 2.0, 1.0, 0.5))
model = dict(
    backbone=dict(
        _delete_=True,
        type='PEFTBackbone',
        backbone=vit,
        pyramid_cfg=vit_pyramid,
        tuner=None,
        freeze_backbone=False,
        per_task_out_norms=False))
