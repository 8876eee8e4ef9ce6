# Single-task full fine-tuning of Swin-T on NYUD-v2 normals (its result is
# the single-task reference of Δm for normals).
_base_ = ['./mtft_swin-t_nyud.py']
tasks = dict(_delete_=True, normals={{_base_.tasks.normals}})
default_hooks = dict(checkpoint=dict(save_best='normals/mean', rule='less'))
