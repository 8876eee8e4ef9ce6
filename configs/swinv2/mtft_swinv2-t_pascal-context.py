# Multi-task full fine-tuning: one Swin-V2-T, shared output norms, 4 heads.
_base_ = ['../_base_/multitask_swinv2-t_pascal-context.py']
