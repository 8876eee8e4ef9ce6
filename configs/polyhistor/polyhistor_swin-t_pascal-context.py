# polyhistor on a frozen ImageNet-1k Swin-T, PASCAL-Context (4 tasks).
# Checkpoints keep only the trained parameters (adapter-only).
_base_ = [
    '../_base_/models/peft_swin-t.py',
    '../_base_/datasets/pascal_context_mt.py',
    '../_base_/default_runtime.py', '../_base_/schedules/adamw_cosine_40k.py',
    '../_base_/methods/polyhistor.py'
]
model = dict(backbone=dict(tuner={{_base_.tuner}}))
# The hypernetworks train with a 10x smaller learning rate than the heads:
# their code LayerNorm amplifies the small initial projector outputs, and at
# the heads' rate the generated weights swing from step to step (measured on
# the toy data: saliency did not learn at lr_mult=1).
optim_wrapper = dict(
    optimizer=dict(lr=1e-3),
    paramwise_cfg=dict(custom_keys={'backbone.tuner': dict(lr_mult=0.1)}))
