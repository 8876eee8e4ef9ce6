# One Swin-V2-T (ImageNet-1k, 256 px) and one all-MLP head per task, all
# trained, on PASCAL-Context (4 tasks), as multitask_swin-t_pascal-context.py
# for Swin.
_base_ = [
    './models/multitask_swinv2-t.py', './datasets/pascal_context_mt.py',
    './default_runtime.py', './schedules/adamw_cosine_40k.py'
]
# No weight decay on Swin-V2's continuous position bias MLP and attention
# logit scales either (as in the official Swin-V2 training).
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={
        'cpb_mlp': dict(decay_mult=0.),
        'logit_scale': dict(decay_mult=0.),
    }))
