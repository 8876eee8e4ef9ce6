# hyperformer++ on a frozen DINOv2 ViT-S/14, PASCAL-Context (4 tasks).
_base_ = [
    '../_base_/peft_vit-s-p14-dinov2_pascal-context.py',
    '../_base_/methods/hyperformer++.py'
]
model = dict(backbone=dict(tuner={{_base_.tuner}}))
# hypernetworks at 0.1x the heads' rate (see _base_/methods/polyhistor.py)
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'backbone.tuner': dict(lr_mult=0.1)}))
