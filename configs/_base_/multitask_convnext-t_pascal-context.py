# One ConvNeXt-T (ImageNet-1k) and one all-MLP head per task, all trained, on
# PASCAL-Context (4 tasks), as multitask_swin-t_pascal-context.py for Swin.
_base_ = [
    './models/multitask_convnext-t.py', './datasets/pascal_context_mt.py',
    './default_runtime.py', './schedules/adamw_cosine_40k.py'
]
