# Single-task full fine-tuning of Swin-S on sal (one of the four
# single-task models whose results are the Δm references).
_base_ = [
    '../_base_/models/multitask_swin-s.py',
    '../_base_/datasets/pascal_context_mt.py',
    '../_base_/default_runtime.py', '../_base_/schedules/adamw_cosine_40k.py'
]
tasks = dict(_delete_=True, sal={{_base_.tasks.sal}})
