# The frozen Swin-T wrapped in PEFTBackbone (per-task output norms,
# adapter-only checkpoints), on NYUD-v2 (4 tasks); a method config sets
# model.backbone.tuner. Parameter-efficient methods train at 1e-3, 10x the
# full fine-tuning rate (as on PASCAL-Context).
_base_ = [
    '../../_base_/models/peft_swin-t.py',
    '../../_base_/datasets/nyud_v2_mt.py', '../../_base_/default_runtime.py',
    '../../_base_/schedules/adamw_cosine_nyud.py'
]
optim_wrapper = dict(optimizer=dict(lr=1e-3))
