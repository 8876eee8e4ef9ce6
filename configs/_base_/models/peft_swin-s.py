# The multitask_swin-s model with its backbone frozen inside PEFTBackbone
# (per-task output norms, adapter-only checkpoints). Method configs set
# model.backbone.tuner; without one this is "decoders only".
_base_ = ['./multitask_swin-s.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='PEFTBackbone',
        backbone={{_base_.swin}},
        save_trainable_only=True))
