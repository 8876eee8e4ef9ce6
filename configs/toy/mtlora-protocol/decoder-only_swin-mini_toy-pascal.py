# Decoders only: the MTLoRA protocol on the synthetic toy data (small Swin).
_base_ = ['../_base_/mtlora-protocol_swin-mini_toy-pascal.py']
