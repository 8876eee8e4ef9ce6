# Compacter++: Compacter with FFN adapters only.
_base_ = ['./adapter.py']
tuner = dict(
    type='CompacterPP',
    positions=('ffn', ),
    phm=dict(n=4, rank_one=True, shared_rules=True))
