# Low-rank adapter: the Adapter baseline whose W_down / W_up are rank-k
# products of learned factors (k = 8: mmpoly's choice; the paper reports this
# family without the setting).
_base_ = ['./adapter.py']
tuner = dict(type='LowRankAdapter', rank=8)
