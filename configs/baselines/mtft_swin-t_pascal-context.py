# Multi-task full fine-tuning: one Swin-T, shared output norms, 4 heads
# (30,058,202 trainable parameters).
_base_ = [
    '../_base_/models/multitask_swin-t.py',
    '../_base_/datasets/pascal_context_mt.py',
    '../_base_/default_runtime.py', '../_base_/schedules/adamw_cosine_40k.py'
]
