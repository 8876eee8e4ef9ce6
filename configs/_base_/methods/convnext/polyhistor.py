# Polyhistor on ConvNeXt: adapters on the blocks' single residual branch
# ('ffn'), every other setting as on Swin.
_base_ = ['../polyhistor.py']
tuner = dict(positions=('ffn', ))
