# Single-task full fine-tuning of Swin-T on NYUD-v2 edge (its result is
# the single-task reference of Δm for edge).
_base_ = ['./mtft_swin-t_nyud.py']
tasks = dict(_delete_=True, edge={{_base_.tasks.edge}})
default_hooks = dict(checkpoint=dict(save_best='edge/odsF'))
