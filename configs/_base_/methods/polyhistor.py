# Polyhistor (Swin-T setting of the paper's 8.96 M): decomposed hypernetwork
# per stage, E = h = 128, P = 64, ρ = 1, k = 16, parallel FFN + attention
# adapters without LayerNorm, reference initialisation.
# Configs with a hypernetwork method (Polyhistor, Polyhistor-Lite, Hyperformer,
# Hyperformer++) train it at 0.1x the heads' learning rate: the code
# LayerNorm amplifies the small initial projector outputs, and at the heads'
# rate the generated weights swing from step to step (measured on the toy
# data: saliency did not learn at lr_mult=1).
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
