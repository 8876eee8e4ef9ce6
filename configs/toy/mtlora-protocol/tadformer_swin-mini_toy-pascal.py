# tadformer: the MTLoRA protocol on the synthetic toy data (small Swin).
_base_ = ['../_base_/mtlora-protocol_swin-mini_toy-pascal.py', '../../_base_/methods/tadformer.py']
model = dict(backbone=dict(tuner={{_base_.tuner}}))
