# The small Swin frozen inside PEFTBackbone, on the synthetic toy NYUD-v2
# data; a method config sets model.backbone.tuner. Generate the data first:
#   python tools/misc/generate_toy_nyud_mt.py data/toy_nyud_mt
_base_ = [
    '../../_base_/models/peft_swin-mini.py',
    '../../_base_/datasets/toy_nyud_mt.py', '../../_base_/default_runtime.py',
    '../../_base_/schedules/toy.py'
]
