# A small Swin-V2 (embed 32, depths 2 / 2 / 2 / 2) from random
# initialisation, for the toy configs and tests, with 64-channel heads;
# otherwise the Swin-V2-T multi-task model.
_base_ = ['./multitask_swinv2-t.py', './swinv2_sizes.py']
model = dict(backbone={{_base_.swinv2_mini}}, decode_head=dict(channels=64))
