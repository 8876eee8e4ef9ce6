# Single-task full fine-tuning of Swin-T on NYUD-v2 semseg (its result is
# the single-task reference of Δm for semseg).
_base_ = ['./mtft_swin-t_nyud.py']
tasks = dict(_delete_=True, semseg={{_base_.tasks.semseg}})
