# Single-task full fine-tuning of Swin-T on normals (one of the four
# single-task models whose results are the Δm references).
_base_ = ['../_base_/multitask_swin-t_pascal-context.py']
tasks = dict(_delete_=True, normals={{_base_.tasks.normals}})
