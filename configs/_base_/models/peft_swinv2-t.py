# The multitask_swinv2-t model with its backbone frozen inside PEFTBackbone
# (per-task output norms, adapter-only checkpoints), as peft_swin-t.py for
# Swin. Method configs set model.backbone.tuner; without one this is
# "decoders only".
_base_ = ['./multitask_swinv2-t.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='PEFTBackbone',
        backbone={{_base_.swinv2}},
        save_trainable_only=True))
