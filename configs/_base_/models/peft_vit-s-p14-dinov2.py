# The DINOv2 ViT-S/14 of multitask_vit-s-p14-dinov2.py frozen inside
# PEFTBackbone (simple feature pyramid, per-task output norms, adapter-only
# checkpoints), as peft_swin-t.py for Swin. Method configs set
# model.backbone.tuner; without one this is "decoders only".
_base_ = ['./multitask_vit-s-p14-dinov2.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='PEFTBackbone',
        backbone={{_base_.vit}},
        pyramid_cfg={{_base_.vit_pyramid}},
        save_trainable_only=True))
