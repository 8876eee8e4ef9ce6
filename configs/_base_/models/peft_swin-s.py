# peft_swin-t.py with the Swin-S backbone.
_base_ = ['./peft_swin-t.py', './swin_sizes.py']
model = dict(backbone=dict(backbone={{_base_.swin_s}}))
