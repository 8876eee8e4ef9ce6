# TADFormer (CVPR 2025): MTLoRA's task streams with task-adaptive terms.
# Shared LoRA (r = 64, scale 4, dropout 0.05) on qkv / proj / fc1 / fc2 of
# every block; one prompt token per task (N(1, 1) truncated to [-2, 2]),
# prepended to every attention window from the first block on and carried
# through every block (window mean of its attention output, then the
# block's MLP with the shared LoRA; Linear C -> 2C at each patch merging).
# In each stage's last block a stream per task: the task-prompted
# convolution (GELU of the prompt's raw attention logits times each head of
# the attention output, LayerNorm) feeds proj; proj / fc1 / fc2 add
# 4 B F_t(A x_t) with the shared A, B and a dynamic depthwise 3x3 filter F
# on the rank-r map (one per Linear, shared by the tasks; filter='naive':
# the released code's plain per-task filter); a gate per stage mixes the
# task-prompted skip feature into the stream output. Patch embedding,
# LayerNorms and relative-position tables train too; merge reductions stay
# frozen. 7,379,262 trainable parameters on Swin-T with the MTLoRA
# protocol's decoders (r = 16 / 32: 3,557,502 / 4,776,126).
tuner = dict(
    type='TADFormer',
    rank=64,
    scale=4.0,
    dropout=0.05,
    filter='dynamic',
    unfreeze=('patch_embed', 'norm', 'relative_position_bias_table'))
