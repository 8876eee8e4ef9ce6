# PASCAL-Context multi-task (the ASTMT "PASCAL_MT" release, read as
# distributed): semantic segmentation (21 classes), human parts (7),
# saliency and surface normals. See mmpoly.datasets.PASCAL_MT_LAYOUT.
dataset_type = 'PascalContextMTDataset'
data_root = 'data/PASCAL_MT'
tasks = ('semseg', 'human_parts', 'sal', 'normals')
crop_size = (512, 512)  # (h, w)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadMultiTaskAnnotations'),
    dict(
        type='RandomResize',
        scale=(512, 512),
        ratio_range=(0.75, 1.25),
        keep_ratio=True,
        resize_type='MultiTaskResize'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='MultiTaskRandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='MultiTaskPad', size=crop_size[::-1]),  # (w, h)
    dict(type='PackMultiTaskInputs'),
]
# Ground truth is loaded after the resize, so metrics are computed at the
# original image size (predictions are resized back).
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiTaskResize', scale=(512, 512), keep_ratio=True),
    dict(type='LoadMultiTaskAnnotations'),
    dict(type='PackMultiTaskInputs'),
]

train_dataloader = dict(
    batch_size=8,  # per GPU; the reference protocol uses 32 in total
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        tasks=tasks,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        tasks=tasks,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# Δm references: single-task full fine-tuning, Swin-T ImageNet-1k
# (semseg / human parts / saliency mIoU, normals mean error).
val_evaluator = dict(
    type='MultiTaskMetric',
    delta_m_references=dict(
        semseg=67.21, human_parts=61.93, sal=62.35, normals=17.97))
test_evaluator = val_evaluator
