# One DINOv2 ViT-S/14 and one all-MLP head per task, all trained, on
# PASCAL-Context (4 tasks), as multitask_swin-t_pascal-context.py for Swin.
_base_ = [
    './models/multitask_vit-s-p14-dinov2.py',
    './datasets/pascal_context_mt.py', './default_runtime.py',
    './schedules/adamw_cosine_40k.py'
]
# No weight decay on the ViT's LayerNorms (ln1 / ln2; the schedule's 'norm'
# does not match them), position embedding and class token.
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            'ln1': dict(decay_mult=0.),
            'ln2': dict(decay_mult=0.),
            'pos_embed': dict(decay_mult=0.),
            'cls_token': dict(decay_mult=0.),
        }))
