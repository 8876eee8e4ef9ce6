# A small Swin (embed 32, depths 2/2/2/2) from random initialisation, for
# the toy configs and tests, with 64-channel heads; otherwise the Swin-T
# multi-task model.
_base_ = ['./multitask_swin-t.py', './swin_sizes.py']
model = dict(backbone={{_base_.swin_mini}}, decode_head=dict(channels=64))
