# Decoders only: the MTLoRA protocol, PASCAL-Context (4 tasks).
_base_ = ['../_base_/mtlora-protocol_swin-t_pascal-context.py']
