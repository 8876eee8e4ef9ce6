# The MTLoRA protocol on PASCAL-Context (4 tasks): its features and
# decoders (models/mtlora-protocol_swin-t.py), augmentation
# (datasets/pascal_context_mt_mtlora-protocol.py) and schedule
# (schedules/mtlora_300e_pascal-context.py). A method config inherits this
# and its method; configs/mtlora-protocol/ has one per method.
_base_ = [
    './models/mtlora-protocol_swin-t.py',
    './datasets/pascal_context_mt_mtlora-protocol.py',
    './default_runtime.py', './schedules/mtlora_300e_pascal-context.py'
]
