# The multitask_swin-t model with the Swin-S backbone.
_base_ = ['./multitask_swin-t.py', './swin_sizes.py']
model = dict(backbone={{_base_.swin_s}})
