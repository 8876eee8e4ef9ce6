# Decoders only (frozen Swin-T, per-task output norms, 4 heads), NYUD-v2.
_base_ = ['./_base_/peft_swin-t_nyud.py']
