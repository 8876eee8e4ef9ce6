# Decoders only: frozen DINOv2 ViT-S/14, per-task output norms, 4 heads.
_base_ = ['../_base_/peft_vit-s-p14-dinov2_pascal-context.py']
