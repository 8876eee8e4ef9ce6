# Decoders only: the MTLoRA protocol, NYUD-v2 (4 tasks).
_base_ = ['../_base_/mtlora-protocol_swin-t_nyud.py']
