# peft_convnext-t.py with the small ConvNeXt and the 64-channel heads of
# multitask_convnext-mini.py.
_base_ = ['./peft_convnext-t.py', './convnext_sizes.py']
model = dict(
    backbone=dict(backbone={{_base_.convnext_mini}}),
    decode_head=dict(channels=64))
