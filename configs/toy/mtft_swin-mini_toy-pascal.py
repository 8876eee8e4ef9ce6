# Multi-task full fine-tuning on the synthetic toy data (minutes on a CPU).
# Generate the data first:
#   python tools/misc/generate_toy_pascal_mt.py data/toy_pascal_mt
_base_ = ['./_base_/multitask_swin-mini_toy-pascal.py']
