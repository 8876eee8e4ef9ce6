# The MTLoRA protocol's schedule (mtlora_300e_pascal-context.py) in epochs of
# NYUD-v2 train (795 images) at 32 images per iteration: 24 iterations an
# epoch, 7,200 in all, 480 of warm-up. NYUD's tasks set no Δm references,
# so checkpoints are selected by semseg mIoU.
_base_ = ['./mtlora_300e_pascal-context.py']
train_images = 795
iters_per_epoch = 795 // 32
max_iters = 300 * iters_per_epoch
warmup_iters = 20 * iters_per_epoch
val_interval = 20 * iters_per_epoch
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=False,
        begin=0,
        end=warmup_iters),
    dict(
        type='CosineAnnealingLR',
        eta_min=5e-4 * 32 / 512 * 1e-2,
        by_epoch=False,
        begin=warmup_iters,
        end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
default_hooks = dict(
    checkpoint=dict(interval=val_interval, save_best='semseg/mIoU'),
    visualization=dict(interval=100))
