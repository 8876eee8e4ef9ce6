# PASCAL-Context multi-task (the ASTMT "PASCAL_MT" release, read as
# distributed): semantic segmentation (21 classes), human parts (7),
# saliency and surface normals. See mmpoly.datasets.PASCAL_MT_LAYOUT.
#
# The tasks, declared once: mmpoly gives them to the data sets, the model
# (heads, losses, padding) and the metric. Loss weights of the reference
# protocol; Δm references: single-task full fine-tuning, Swin-T ImageNet-1k
# (semseg / human parts / saliency mIoU, normals mean error).
tasks = dict(
    semseg=dict(
        type='SegmentationTask',
        num_classes=21,
        loss_weight=1.0,
        delta_m_reference=67.21),
    human_parts=dict(
        type='SegmentationTask',
        num_classes=7,
        loss_weight=2.0,
        delta_m_reference=61.93),
    sal=dict(type='BinaryTask', loss_weight=5.0, delta_m_reference=62.35),
    normals=dict(
        type='NormalsTask', loss_weight=10.0, delta_m_reference=17.97))
# The optional fifth task, derived from the LabelMap; the *_5tasks_* configs
# add it with tasks = dict(edge={{_base_.edge_task}}). Loss weight and
# positive weight of the multi-task literature; no Swin-T single-task
# reference has been published, so Δm cannot include it until one is set.
edge_task = dict(type='EdgeTask', max_dist=0.0075, loss_weight=50.0)
dataset_type = 'PascalContextMTDataset'
data_root = 'data/PASCAL_MT'
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
        pipeline=train_pipeline))
val_dataloader = dict(
    train_dataloader,
    batch_size=1,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(train_dataloader['dataset'], split='val',
                 pipeline=test_pipeline))
test_dataloader = val_dataloader

# every task's metrics, and Δm of their primary metrics against their
# delta_m_reference when every task has one (delta_m=True requires it)
val_evaluator = dict(type='MultiTaskMetric')
test_evaluator = val_evaluator
