# VPT-deep on the DINOv2 ViTs: prompts initialised for 14 x 14 patches
# (the ViT-B/16 configs set 16).
_base_ = ['../vpt-deep.py']
tuner = dict(patch_size=14)
