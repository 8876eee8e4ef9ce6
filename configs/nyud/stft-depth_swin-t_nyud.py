# Single-task full fine-tuning of Swin-T on NYUD-v2 depth (its result is
# the single-task reference of Δm for depth).
_base_ = ['./mtft_swin-t_nyud.py']
tasks = dict(_delete_=True, depth={{_base_.tasks.depth}})
default_hooks = dict(checkpoint=dict(save_best='depth/rmse', rule='less'))
