# The real NYUD-v2 MT dataset config, pointed at the small synthetic data
# set of tools/misc/generate_toy_nyud_mt.py (96 x 128 rooms, NYUD_MT
# layout), with sizes and loader settings scaled down to run in minutes on
# a CPU.
_base_ = ['./nyud_v2_mt.py']
data_root = 'data/toy_nyud_mt'
crop_size = (96, 128)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadMultiTaskAnnotations'),
    dict(
        type='RandomResize',
        scale=(128, 96),
        ratio_range=(1.0, 1.2),
        keep_ratio=True,
        resize_type='MultiTaskResize'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='MultiTaskRandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='MultiTaskPad', size=crop_size[::-1]),
    dict(type='PackMultiTaskInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
