# polyhistor on the synthetic toy data (a frozen, randomly initialised
# small ViT; minutes on a CPU). Generate the data first:
#   python tools/misc/generate_toy_pascal_mt.py data/toy_pascal_mt
_base_ = [
    './_base_/peft_vit-mini_toy-pascal.py', '../_base_/methods/polyhistor.py'
]
model = dict(backbone=dict(tuner={{_base_.tuner}}))
# hypernetworks at 0.1x the heads' rate (see _base_/methods/polyhistor.py)
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'backbone.tuner': dict(lr_mult=0.1)}))
