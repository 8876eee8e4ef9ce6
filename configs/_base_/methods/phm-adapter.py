# PHM adapter: the Adapter baseline (FFN, ρ = 2, LN_post, per task)
# with W = Σ_i A_i ⊗ B_i, n = 4 (mmpoly's choice of n and ρ; the paper
# does not print them).
_base_ = ['./adapter.py']
tuner = dict(
    type='PHMAdapter', phm=dict(n=4, rank_one=False, shared_rules=False))
