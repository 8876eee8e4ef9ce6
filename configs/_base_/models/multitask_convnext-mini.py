# A small ConvNeXt (32 / 64 / 128 / 256 channels, depths 2 / 2 / 2 / 2)
# from random initialisation, for the toy configs and tests, with 64-channel
# heads; otherwise the ConvNeXt-T multi-task model.
_base_ = ['./multitask_convnext-t.py', './convnext_sizes.py']
model = dict(backbone={{_base_.convnext_mini}}, decode_head=dict(channels=64))
