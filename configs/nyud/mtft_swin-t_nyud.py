# Multi-task full fine-tuning of Swin-T on NYUD-v2 (4 tasks).
_base_ = ['./_base_/multitask_swin-t_nyud.py']
