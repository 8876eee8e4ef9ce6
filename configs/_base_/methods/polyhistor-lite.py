# Polyhistor-Lite: one global decomposed hypernetwork generating templates
# at the first stage's width + layer-wise scaling kernels (Kronecker
# assembly), same E / h / P / ρ / k as Polyhistor.
tuner = dict(
    type='PolyhistorLite',
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
