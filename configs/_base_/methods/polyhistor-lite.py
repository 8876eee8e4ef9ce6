# Polyhistor-Lite: one global decomposed hypernetwork generating templates
# at the first stage's width + layer-wise scaling kernels (Kronecker
# assembly), with every other setting of Polyhistor (E / h / P / ρ / k,
# positions, placement, initialisation).
_base_ = ['./polyhistor.py']
tuner = dict(type='PolyhistorLite')
