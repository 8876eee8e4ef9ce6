# Decoders only: frozen Swin-B, per-task output LayerNorms, 4 heads.
_base_ = [
    '../_base_/models/peft_swin-b.py',
    '../_base_/datasets/pascal_context_mt.py',
    '../_base_/default_runtime.py', '../_base_/schedules/adamw_cosine_40k.py'
]
optim_wrapper = dict(optimizer=dict(lr=1e-3))
