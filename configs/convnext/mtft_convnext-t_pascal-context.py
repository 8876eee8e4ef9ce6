# Multi-task full fine-tuning: one ConvNeXt-T, shared output norms, 4 heads.
_base_ = ['../_base_/multitask_convnext-t_pascal-context.py']
