# Decoders only (frozen, randomly initialised small Swin + per-task output
# norms) on the synthetic toy data.
_base_ = [
    '../_base_/models/peft_swin-mini.py',
    '../_base_/datasets/toy_pascal_mt.py', '../_base_/default_runtime.py',
    '../_base_/schedules/toy.py'
]
