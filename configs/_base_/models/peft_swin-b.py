# peft_swin-t.py with the Swin-B backbone.
_base_ = ['./peft_swin-t.py', './swin_sizes.py']
model = dict(backbone=dict(backbone={{_base_.swin_b}}))
