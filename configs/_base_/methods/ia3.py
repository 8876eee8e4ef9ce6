# IA³ (Liu et al., NeurIPS 2022): per-task learned scaling of the keys,
# values and FFN hidden activations of every block, initialised to one
# (105,984 parameters on Swin-T with 4 tasks).
tuner = dict(type='IA3', targets=('key', 'value', 'ffn'))
