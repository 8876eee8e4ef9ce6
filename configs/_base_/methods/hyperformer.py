# Hyperformer: one hypernetwork per block generating full adapter
# matrices (and their LayerNorm) from the task embedding; E = 64, h = 128,
# P = 64, ρ = 4, FFN adapters (73,770,288 on Swin-T with heads).
tuner = dict(
    type='Hyperformer',
    embed_dims=64,
    hidden_dims=128,
    code_dims=64,
    reduction=4,
    norm_generators=True,
    positions=('ffn', ),
    placement='parallel',
    activation='silu',
    linear_std=0.01,
    embed_std=1.0)
