# One Swin-T (ImageNet-1k) and one all-MLP head per task, all trained, on
# PASCAL-Context (4 tasks): the setting every full fine-tuning config of
# configs/baselines/ starts from.
_base_ = [
    './models/multitask_swin-t.py', './datasets/pascal_context_mt.py',
    './default_runtime.py', './schedules/adamw_cosine_40k.py'
]
