# IA³ on ConvNeXt: no keys or values, so only the MLP hidden activations of
# every block are scaled.
_base_ = ['../ia3.py']
tuner = dict(targets=('ffn', ))
