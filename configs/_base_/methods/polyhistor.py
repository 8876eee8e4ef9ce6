# Polyhistor (Swin-T setting of the paper's 8.96 M): decomposed hypernetwork
# per stage, E = h = 128, P = 64, ρ = 1, k = 16, parallel FFN + attention
# adapters without LayerNorm, reference initialisation.
tuner = dict(
    type='Polyhistor',
    embed_dims=128,
    hidden_dims=128,
    code_dims=64,
    reduction=1,
    rank=16,
    norm_generators=False,
    positions=('attn', 'ffn'),
    placement='parallel',
    activation='silu',
    linear_std=0.01,
    embed_std=1.0)
