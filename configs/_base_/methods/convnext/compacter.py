# Compacter on ConvNeXt: its blocks have one residual branch (depthwise
# conv, norm, MLP), which mmpoly calls 'ffn', so the adapters sit there
# only (which makes it Compacter++ on this backbone).
_base_ = ['../compacter.py']
tuner = dict(positions=('ffn', ))
