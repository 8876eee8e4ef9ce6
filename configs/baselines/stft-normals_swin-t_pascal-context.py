# Single-task full fine-tuning of Swin-T on normals (one of the four
# single-task models whose results are the Δm references).
_base_ = [
    '../_base_/models/multitask_swin-t.py',
    '../_base_/datasets/pascal_context_mt.py',
    '../_base_/default_runtime.py', '../_base_/schedules/adamw_cosine_40k.py'
]
tasks = dict(_delete_=True, normals={{_base_.tasks.normals}})
