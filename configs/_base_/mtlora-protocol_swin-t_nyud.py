# The MTLoRA protocol on NYUD-v2 (4 tasks): its features and decoders,
# augmentation and schedule, as mtlora-protocol_swin-t_pascal-context.py.
_base_ = [
    './models/mtlora-protocol_swin-t.py',
    './datasets/nyud_v2_mt_mtlora-protocol.py', './default_runtime.py',
    './schedules/mtlora_300e_nyud.py'
]
