# The multitask_convnext-t model with its backbone frozen inside
# PEFTBackbone (per-task output norms, adapter-only checkpoints), as
# peft_swin-t.py for Swin. Method configs set model.backbone.tuner; without
# one this is "decoders only".
_base_ = ['./multitask_convnext-t.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='PEFTBackbone',
        backbone={{_base_.convnext}},
        save_trainable_only=True))
