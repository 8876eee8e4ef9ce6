# LoRA: rank 4 on the fused qkv of every block, per task, with a
# per-task LayerNorm on the LoRA branch input; A ~ N(0, 0.01²), B = 0
# (2,866,976 on Swin-T).
tuner = dict(
    type='LoRATuner',
    rank=4,
    targets=('qkv', ),
    branch_norm=True,
    scale=1.0,
    init_std=0.01,
    shared=False)
