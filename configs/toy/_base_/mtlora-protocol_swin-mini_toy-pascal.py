# The MTLoRA protocol on the synthetic toy data: the small Swin's outputs
# after patch merging without output norms, per-task Downsampler (4 / 8 /
# 16 / 32 channels) and HRNet-style head (64 channels), the protocol's flip,
# rotation and scale then a fixed resize (to 96 x 96), and the toy schedule.
# Generate the data first:
#   python tools/misc/generate_toy_pascal_mt.py data/toy_pascal_mt
_base_ = [
    '../../_base_/models/mtlora-protocol_swin-t.py',
    '../../_base_/models/swin_sizes.py',
    '../../_base_/datasets/toy_pascal_mt.py', '../../_base_/default_runtime.py',
    '../../_base_/schedules/toy.py'
]
model = dict(
    backbone=dict(backbone={{_base_.swin_mini}}),
    decode_head=dict(
        channels=64, downsampler_cfg=dict(out_channels=(4, 8, 16, 32))))
img_scale = (96, 96)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadMultiTaskAnnotations'),
    dict(type='MultiTaskRandomFlip', prob=0.5),
    dict(
        type='MultiTaskRandomScaleRotate',
        scale_range=(0.75, 1.25),
        max_angle=20.0),
    dict(
        type='MultiTaskResize',
        scale=img_scale,
        keep_ratio=False,
        interpolation='bicubic'),
    dict(type='PackMultiTaskInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiTaskResize',
        scale=img_scale,
        keep_ratio=False,
        interpolation='bicubic'),
    dict(type='LoadMultiTaskAnnotations'),
    dict(type='PackMultiTaskInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
