# DiTASK (CVPR 2025): each adapted Linear keeps its pretrained singular
# vectors and warps its singular values with a learned 1-D CPAB
# diffeomorphism (zero-boundary velocity field, closed-form integration),
# y = W' dropout(x) + b with dropout 0.05 on the whole input; a fused qkv is
# decomposed as q, k, v with one shared theta. Placement as MTLoRA's (the
# authors' Swin file is not released): shared warps with 64 cells (63
# parameters) on qkv / proj / fc1 / fc2 of every block, task warps with 4
# cells (3 parameters) on proj / fc1 / fc2 of each stage's last block, whose
# task streams use the task's own warp of the pretrained weight. Like
# MTLoRA, patch embedding, LayerNorms, patch-merging reductions (kept
# trainable) and relative-position tables are trained too. Swin-T, 4 PASCAL
# tasks: 3,168 warp parameters; 1,602,714 trainable on MTLoRA's backbone
# side (the paper's 1.61 M), 3,549,338 with MTLoRA's decoders.
tuner = dict(
    type='DiTASK',
    tess_size=64,
    task_tess_size=4,
    dropout=0.05,
    shared_targets=('qkv', 'proj', 'fc1', 'fc2'),
    task_targets=('proj', 'fc1', 'fc2'),
    unfreeze=('patch_embed', 'norm', 'downsample.reduction',
              'relative_position_bias_table'))
