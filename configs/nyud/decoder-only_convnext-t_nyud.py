# Decoders only (frozen ConvNeXt-T, per-task output norms, 4 heads),
# NYUD-v2.
_base_ = ['./_base_/peft_convnext-t_nyud.py']
