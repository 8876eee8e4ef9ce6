# peft_swin-t.py with the small Swin and the 64-channel heads of
# multitask_swin-mini.py.
_base_ = ['./peft_swin-t.py', './swin_sizes.py']
model = dict(
    backbone=dict(backbone={{_base_.swin_mini}}),
    decode_head=dict(channels=64))
