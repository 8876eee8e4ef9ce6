# Decoders only: frozen Swin-T, per-task output LayerNorms, 4 heads
# (2,549,024 trainable parameters).
_base_ = ['../_base_/peft_swin-t_pascal-context.py']
