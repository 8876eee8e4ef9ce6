# A small randomly initialised ViT and one head per task, all
# trained, on the synthetic toy PASCAL-Context data (minutes on a CPU).
# Generate the data first:
#   python tools/misc/generate_toy_pascal_mt.py data/toy_pascal_mt
_base_ = [
    '../../_base_/models/multitask_vit-mini.py',
    '../../_base_/datasets/toy_pascal_mt.py',
    '../../_base_/default_runtime.py', '../../_base_/schedules/toy.py'
]
