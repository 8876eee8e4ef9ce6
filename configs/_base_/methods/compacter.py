# Compacter: PHM adapters after attention and FFN whose blocks are
# rank one (B_i = s_i t_i^T) and whose rules A (n x n x n) are shared by all
# layers, one per task (n = 4, ρ = 2: mmpoly's choice).
_base_ = ['./adapter.py']
tuner = dict(
    type='Compacter',
    positions=('attn', 'ffn'),
    phm=dict(n=4, rank_one=True, shared_rules=True))
