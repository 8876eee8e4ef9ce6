# The frozen Swin-T wrapped in PEFTBackbone (per-task output norms,
# adapter-only checkpoints), on PASCAL-Context (4 tasks); a method config
# sets model.backbone.tuner. Parameter-efficient methods train at 1e-3, 10x
# the full fine-tuning rate.
_base_ = [
    './models/peft_swin-t.py', './datasets/pascal_context_mt.py',
    './default_runtime.py', './schedules/adamw_cosine_40k.py'
]
optim_wrapper = dict(optimizer=dict(lr=1e-3))
