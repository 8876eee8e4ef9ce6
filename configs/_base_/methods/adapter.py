# Adapter baseline (METHODS.md): FFN adapters, ρ = 2, LN_post, one set per
# task, in parallel to the FFN (11,237,024 trainable on Swin-T with heads).
tuner = dict(
    type='AdapterTuner',
    reduction=2,
    positions=('ffn', ),
    placement='parallel',
    shared=False,
    rank=None,
    post_norm=True,
    activation='silu',
    init_std=0.01)
