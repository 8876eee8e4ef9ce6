# One Swin-T (ImageNet-1k) and one all-MLP head per task, all trained, on
# NYUD-v2 (4 tasks): the setting every NYUD config of configs/nyud/ starts
# from.
_base_ = [
    '../../_base_/models/multitask_swin-t.py',
    '../../_base_/datasets/nyud_v2_mt.py', '../../_base_/default_runtime.py',
    '../../_base_/schedules/adamw_cosine_nyud.py'
]
