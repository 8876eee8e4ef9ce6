# mmpoly's default schedule (Polyhistor did not publish one; this follows
# the later MTLoRA protocol): AdamW, weight decay 0.05, linear warm-up then
# cosine decay. 40k iterations at 32 images per iteration is about 256
# epochs of PASCAL-Context train (4,998 images).
optim_wrapper = dict(
    type='OptimWrapper',
    # the optimiser over the trainable parameters only (no per-tensor log)
    constructor='TrainableOptimWrapperConstructor',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(
        custom_keys={
            'norm': dict(decay_mult=0.),
            'relative_position_bias_table': dict(decay_mult=0.),
        }),
    clip_grad=dict(max_norm=10.0, norm_type=2))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=1500),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-6,
        by_epoch=False,
        begin=1500,
        end=40000),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=40000, val_interval=4000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=4000,
        max_keep_ckpts=2,
        save_best='delta_m',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # a panel of every 500th validation batch
    visualization=dict(type='MultiTaskVisualizationHook', interval=500),
)
