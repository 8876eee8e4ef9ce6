# NYUD-v2 multi-task (795 train / 654 val images of 480 x 640): semantic
# segmentation (40 classes), depth, surface normals and edges. Reads both
# packagings in circulation (mmpoly.datasets.NYUD_LAYOUT), chosen by the
# image files found (layout='auto') or by dataset layout='nyud_mt' / 'invpt'.
#
# Loss weights: semseg 1, depth 1, normals 10, edge 50 (with positive weight
# 0.95), those of the multi-task survey's NYUD configs (Vandenhende et al.,
# "Multi-Task Learning for Dense Prediction Tasks: A Survey", TPAMI 2021) and
# of MTI-Net (ECCV 2020). Edges are matched within 0.011 of the image
# diagonal, the NYUD setting of the same line of work. No single-task
# references for a Swin backbone on NYUD-v2 have been published that this
# config could cite, so delta_m_reference is left unset: Δm is not computed
# (the log names the tasks that need one) until you set them, e.g. from
# your own configs/nyud/stft-*_nyud.py runs.
tasks = dict(
    semseg=dict(
        type='SegmentationTask',
        num_classes=40,
        loss_weight=1.0,
        delta_m_reference=None),
    depth=dict(type='DepthTask', loss_weight=1.0, delta_m_reference=None),
    normals=dict(
        type='NormalsTask', loss_weight=10.0, delta_m_reference=None),
    edge=dict(
        type='EdgeTask',
        max_dist=0.011,
        pos_weight=0.95,
        loss_weight=50.0,
        delta_m_reference=None))
dataset_type = 'NYUDv2MTDataset'
data_root = 'data/NYUD_MT'
# Training at 448 x 576 (h, w), the resolution of InvPT / TaskPrompter's
# NYUD protocol, so that results compare with that line of work; 448 is also
# a multiple of 7 x 32, so Swin's stage maps fit its 7 x 7 windows in height.
# Random scaling 1.0-1.2, crop, flip and photometric distortion as there.
# Evaluation at the original 480 x 640 (no resize; padded to a multiple of
# 32 by the data preprocessor).
crop_size = (448, 576)  # (h, w)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadMultiTaskAnnotations'),
    dict(
        type='RandomResize',
        scale=(640, 480),
        ratio_range=(1.0, 1.2),
        keep_ratio=True,
        resize_type='MultiTaskResize'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='MultiTaskRandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='MultiTaskPad', size=crop_size[::-1]),  # (w, h)
    dict(type='PackMultiTaskInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadMultiTaskAnnotations'),
    dict(type='PackMultiTaskInputs'),
]

train_dataloader = dict(
    batch_size=8,  # per GPU
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

# every task's metrics, and Δm once every task has a delta_m_reference
val_evaluator = dict(type='MultiTaskMetric')
test_evaluator = val_evaluator
