# Decoders only: frozen ConvNeXt-T, per-task output norms, 4 heads.
_base_ = ['../_base_/peft_convnext-t_pascal-context.py']
