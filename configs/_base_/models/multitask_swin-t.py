# One Swin-T backbone (mmpretrain, ImageNet-1k weights) and one SegFormer
# all-MLP head (256 channels) per task of the config's `tasks`. Heads take
# their input widths from the backbone and their output channels, loss and
# activation from their task; the segmentor passes the task names to
# task-conditioned backbones.
swin_checkpoint = 'https://download.openmmlab.com/mmclassification/v0/swin-transformer/swin_tiny_224_b16x64_300e_imagenet_20210616_090925-66df6be6.pth'  # noqa
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='MultiTaskDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    size_divisor=32,  # training crops are padded to the crop size already
    test_cfg=dict(size_divisor=32))
swin = dict(
    type='mmpretrain.SwinTransformer',
    arch='tiny',
    img_size=224,
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.2,
    pad_small_map=True,
    init_cfg=dict(type='Pretrained', checkpoint=swin_checkpoint,
                  prefix='backbone.'))
head = dict(type='AllMLPHead', channels=256, dropout_ratio=0.1,
            norm_cfg=norm_cfg)
model = dict(
    type='MultiTaskSegmentor',
    data_preprocessor=data_preprocessor,
    backbone=swin,
    decode_head=head,  # one per task; model.decode_heads.<task> overrides
    test_cfg=dict(mode='whole'))
