# Multi-task full fine-tuning: one Swin-B, shared output norms, 4 heads.
_base_ = [
    '../_base_/models/multitask_swin-b.py',
    '../_base_/datasets/pascal_context_mt.py',
    '../_base_/default_runtime.py', '../_base_/schedules/adamw_cosine_40k.py'
]
