# Mona (CVPR 2025): a multi-cognitive visual adapter after the attention
# and after the FFN of every block, serial on the residual stream
# (x <- Mona(x + attn(norm1 x)); x <- Mona(x + ffn(norm2 x))). Each Mona:
# LN(x)·γ + x·γ_x (γ = 1e-6, γ_x = 1 at start), Linear(C, 64), depthwise
# 3x3 / 5x5 / 7x7 convolutions averaged plus identity, a 1x1 convolution
# with identity, GELU, dropout 0.1, Linear(64, C), plus the input:
# 133 C + 9,728 parameters, 1,408,128 per set on Swin-T. Only the Monas
# train. One set per task (one backbone pass per task): 8,181,536 trainable
# on Swin-T with the heads and per-task output norms.
tuner = dict(type='Mona', bottleneck=64, dropout=0.1, shared=False)
