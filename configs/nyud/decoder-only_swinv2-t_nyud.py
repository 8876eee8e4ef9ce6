# Decoders only (frozen Swin-V2-T, per-task output norms, 4 heads),
# NYUD-v2.
_base_ = ['./_base_/peft_swinv2-t_nyud.py']
