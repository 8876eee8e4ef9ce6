# peft_swinv2-t.py with the small Swin-V2 and the 64-channel heads of
# multitask_swinv2-mini.py.
_base_ = ['./peft_swinv2-t.py', './swinv2_sizes.py']
model = dict(
    backbone=dict(backbone={{_base_.swinv2_mini}}),
    decode_head=dict(channels=64))
