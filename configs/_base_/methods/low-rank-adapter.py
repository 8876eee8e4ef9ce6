# Low-rank adapter: the Adapter baseline whose W_down / W_up are rank-k
# products of learned factors (k = 8 here; the paper reports this family).
_base_ = ['./adapter.py']
tuner = dict(rank=8)
