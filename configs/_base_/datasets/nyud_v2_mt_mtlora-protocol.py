# NYUD-v2 multi-task with the MTLoRA protocol's augmentation
# (pascal_context_mt_mtlora-protocol.py): flip, rotation ±20° and scale
# 0.75-1.25, then a fixed resize to 448 x 576 (h x w, the resolution of
# nyud_v2_mt.py, keeping NYUD's aspect ratio); evaluation resizes the image
# to it and scores at the original 480 x 640. Tasks, losses and loss weights
# (semseg 1, depth 1, normals 10, edges 50) as nyud_v2_mt.py.
_base_ = ['./nyud_v2_mt.py']
img_scale = (576, 448)  # (w, h)
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
train_dataloader = dict(
    batch_size=32, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
