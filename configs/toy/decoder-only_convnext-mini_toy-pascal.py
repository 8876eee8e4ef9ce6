# Decoders only (frozen, randomly initialised small ConvNeXt + per-task output
# norms) on the synthetic toy data. Generate the data first:
#   python tools/misc/generate_toy_pascal_mt.py data/toy_pascal_mt
_base_ = ['./_base_/peft_convnext-mini_toy-pascal.py']
