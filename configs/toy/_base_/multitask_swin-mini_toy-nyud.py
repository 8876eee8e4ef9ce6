# A small randomly initialised Swin and one head per task, all trained, on
# the synthetic toy NYUD-v2 data (minutes on a CPU). Generate the data first:
#   python tools/misc/generate_toy_nyud_mt.py data/toy_nyud_mt
_base_ = [
    '../../_base_/models/multitask_swin-mini.py',
    '../../_base_/datasets/toy_nyud_mt.py', '../../_base_/default_runtime.py',
    '../../_base_/schedules/toy.py'
]
