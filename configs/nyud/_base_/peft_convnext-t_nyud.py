# The frozen ConvNeXt-T (ImageNet-1k) wrapped in PEFTBackbone, on NYUD-v2 (4
# tasks), as peft_swin-t_nyud.py for Swin; a method config sets
# model.backbone.tuner. Parameter-efficient methods train at 1e-3, 10x the
# full fine-tuning rate (as on PASCAL-Context).
_base_ = [
    '../../_base_/models/peft_convnext-t.py',
    '../../_base_/datasets/nyud_v2_mt.py', '../../_base_/default_runtime.py',
    '../../_base_/schedules/adamw_cosine_nyud.py'
]
optim_wrapper = dict(optimizer=dict(lr=1e-3))
