# PASCAL-Context multi-task as the MTLoRA protocol trains on it: random
# horizontal flip (normals' x negated), random rotation (±20°) and scale
# (0.75-1.25) about the centre, then a fixed resize to 448 x 448 (bicubic
# image; labels nearest, normals resized and renormalised), ImageNet
# normalisation in the data preprocessor; no photometric distortion. The
# same tasks, losses and loss weights as pascal_context_mt.py. Validation
# resizes the image to 448 x 448 and scores at the original size.
_base_ = ['./pascal_context_mt.py']
img_scale = (448, 448)  # (w, h)
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
    batch_size=32,  # per GPU: the authors train on one GPU
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
