# The frozen Swin-T in PEFTBackbone as the MTLoRA protocol uses it: the
# stage outputs are taken after patch merging (mmpretrain's
# out_after_downsample: 192 / 384 / 768 / 768 channels at strides 8 / 16 /
# 32 / 32), without output norms (none in the backbone, norm_cfg=None, and
# none per task), drop-path 0.2; per task a Downsampler (bias-free 1x1 convs
# to 18 / 36 / 72 / 144 channels) and the HRNet-style HighResolutionHead
# (1080 channels, BN, ReLU). A method config sets model.backbone.tuner;
# what the backbone trains beyond the method's own modules is the method's
# `unfreeze` (MTLoRA's: patch embedding, LayerNorms, merge reductions,
# relative-position tables).
_base_ = ['./peft_swin-t.py']
model = dict(
    backbone=dict(
        per_task_out_norms=False,
        backbone=dict(
            out_after_downsample=True, norm_cfg=None, drop_path_rate=0.2)),
    decode_head=dict(
        _delete_=True,
        type='HighResolutionHead',
        channels=1080,
        downsampler_cfg=dict(type='Downsampler', out_channels=(18, 36, 72,
                                                                144)),
        norm_cfg=dict(type='BN', requires_grad=True)))
