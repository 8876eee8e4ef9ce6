# polyhistor-lite on the synthetic toy data (a frozen, randomly initialised small
# Swin; minutes on a CPU). Generate the data first:
#   python tools/misc/generate_toy_pascal_mt.py data/toy_pascal_mt
_base_ = [
    '../_base_/models/peft_swin-mini.py',
    '../_base_/datasets/toy_pascal_mt.py', '../_base_/default_runtime.py',
    '../_base_/schedules/toy.py', '../_base_/methods/polyhistor-lite.py'
]
model = dict(backbone=dict(tuner={{_base_.tuner}}))
# hypernetworks at a 10x smaller learning rate (see the PASCAL configs)
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'backbone.tuner': dict(lr_mult=0.1)}))
