# Multi-task full fine-tuning of a randomly initialised small Swin-V2 on the
# synthetic toy data (minutes on a CPU). Generate the data first:
#   python tools/misc/generate_toy_pascal_mt.py data/toy_pascal_mt
_base_ = ['./_base_/multitask_swinv2-mini_toy-pascal.py']
