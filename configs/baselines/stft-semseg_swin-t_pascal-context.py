# Single-task full fine-tuning of Swin-T on semseg (one of the four
# single-task models whose results are the Δm references).
_base_ = ['../_base_/multitask_swin-t_pascal-context.py']
tasks = dict(_delete_=True, semseg={{_base_.tasks.semseg}})
