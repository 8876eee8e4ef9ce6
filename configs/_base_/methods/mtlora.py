# MTLoRA (CVPR 2024): task-agnostic LoRA (r = 64) on qkv / proj / fc1 /
# fc2 of every block, task-specific LoRA (r = 4) on proj / fc1 / fc2 of each
# stage's last block giving per-task stage features, scale 4, LoRA dropout
# 0.05; patch embedding, LayerNorms, patch-merging reductions and
# relative-position tables trained too (the reference's r64 setting).
tuner = dict(
    type='MTLoRA',
    shared_rank=64,
    task_rank=4,
    scale=4.0,
    dropout=0.05,
    shared_targets=('qkv', 'proj', 'fc1', 'fc2'),
    task_targets=('proj', 'fc1', 'fc2'),
    unfreeze=('patch_embed', 'norm', 'downsample.reduction',
              'relative_position_bias_table'))
