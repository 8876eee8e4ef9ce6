# DoRA (ICML 2024), per task: rank 4 on the fused qkv of every block; each
# adapted Linear gets a magnitude m (one value per output unit, initialised
# to the row norms of the pretrained weight) and a low-rank update s·B·A of
# its direction: y = diag(m / n)·(W + s·B·A)·x + b with n = ||W + s·B·A||
# per output unit treated as a constant (no gradient); A Kaiming-uniform,
# B = 0, no LayerNorm on the branch (DoRA needs a weight-space update).
# 19·C parameters per block and task: 335,616 on Swin-T with 4 tasks.
tuner = dict(
    type='DoRATuner',
    rank=4,
    targets=('qkv', ),
    scale=1.0,
    dropout=0.0,
    init='kaiming',
    shared=False)
