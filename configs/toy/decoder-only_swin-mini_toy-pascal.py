# Decoders only (frozen, randomly initialised small Swin + per-task output
# norms) on the synthetic toy data.
_base_ = ['./_base_/peft_swin-mini_toy-pascal.py']
