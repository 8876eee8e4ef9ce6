# Multi-task full fine-tuning: one DINOv2 ViT-S/14, its outputs resampled to
# four scales by the parameter-free simple feature pyramid, the ViT's own
# final norm, 4 heads.
_base_ = ['../_base_/multitask_vit-s-p14-dinov2_pascal-context.py']
