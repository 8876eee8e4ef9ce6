# The frozen DINOv2 ViT-S/14 wrapped in PEFTBackbone, on PASCAL-Context
# (4 tasks), as peft_swin-t_pascal-context.py for Swin; a method config sets
# model.backbone.tuner. Parameter-efficient methods train at 1e-3, 10x the
# full fine-tuning rate.
_base_ = [
    './models/peft_vit-s-p14-dinov2.py', './datasets/pascal_context_mt.py',
    './default_runtime.py', './schedules/adamw_cosine_40k.py'
]
optim_wrapper = dict(optimizer=dict(lr=1e-3))
