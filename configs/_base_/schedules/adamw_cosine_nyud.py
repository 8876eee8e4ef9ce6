# mmpoly's NYUD-v2 schedule: the PASCAL-Context one (AdamW, weight decay
# 0.05, linear warm-up then cosine decay) for 300 epochs of the 795 training
# images at 32 images per iteration (4 GPUs x 8), the epoch budget of the
# MTLoRA protocol: 7,500 iterations, validation every 750.
_base_ = ['./adamw_cosine_40k.py']
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=500),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-6,
        by_epoch=False,
        begin=500,
        end=7500),
]
train_cfg = dict(max_iters=7500, val_interval=750)
# Δm needs single-task references, which NYUD's tasks do not set (see
# datasets/nyud_v2_mt.py): checkpoints are selected by semseg mIoU.
default_hooks = dict(
    checkpoint=dict(interval=750, save_best='semseg/mIoU'),
    visualization=dict(interval=100))  # 654 val images: 6 panels
