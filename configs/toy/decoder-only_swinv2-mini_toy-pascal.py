# Decoders only (frozen, randomly initialised small Swin-V2 + per-task output
# norms) on the synthetic toy data. Generate the data first:
#   python tools/misc/generate_toy_pascal_mt.py data/toy_pascal_mt
_base_ = ['./_base_/peft_swinv2-mini_toy-pascal.py']
