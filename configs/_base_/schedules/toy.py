# A few minutes on 2 CPU cores: AdamW with warm-up and cosine decay.
optim_wrapper = dict(
    type='OptimWrapper',
    # the optimiser over the trainable parameters only (no per-tensor log)
    constructor='TrainableOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.01),
    clip_grad=dict(max_norm=10.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=30),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-5,
        by_epoch=False,
        begin=30,
        end=400),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=400, val_interval=400)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=200, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # a panel of every 4th validation batch
    visualization=dict(type='MultiTaskVisualizationHook', interval=4),
)
randomness = dict(seed=0)
