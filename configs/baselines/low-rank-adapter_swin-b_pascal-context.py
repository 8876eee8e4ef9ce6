# low-rank-adapter on a frozen ImageNet-1k Swin-B, PASCAL-Context (4 tasks).
_base_ = [
    '../_base_/models/peft_swin-b.py',
    '../_base_/datasets/pascal_context_mt.py',
    '../_base_/default_runtime.py', '../_base_/schedules/adamw_cosine_40k.py',
    '../_base_/methods/low-rank-adapter.py'
]
model = dict(backbone=dict(tuner={{_base_.tuner}}))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
