# BitFit, per task: every bias, LayerNorm bias and relative-position
# table of the backbone (2,848,136 trainable on Swin-T with heads).
tuner = dict(type='BitFit', pattern='bias', shared=False)
