# The small ConvNeXt frozen inside PEFTBackbone, on the synthetic toy
# PASCAL-Context data; a method config sets model.backbone.tuner. Generate
# the data first:
#   python tools/misc/generate_toy_pascal_mt.py data/toy_pascal_mt
_base_ = [
    '../../_base_/models/peft_convnext-mini.py',
    '../../_base_/datasets/toy_pascal_mt.py',
    '../../_base_/default_runtime.py', '../../_base_/schedules/toy.py'
]
