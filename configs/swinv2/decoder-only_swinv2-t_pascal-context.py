# Decoders only: frozen Swin-V2-T, per-task output norms, 4 heads.
_base_ = ['../_base_/peft_swinv2-t_pascal-context.py']
