# Multi-task full fine-tuning: one Swin-T, shared output norms, 4 heads
# (30,058,202 trainable parameters).
_base_ = ['../_base_/multitask_swin-t_pascal-context.py']
