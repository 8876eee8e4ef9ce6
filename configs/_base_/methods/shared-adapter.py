# Shared adapter: the Adapter baseline with one set of adapters for all
# tasks (one backbone pass serves every task; 4,721,024 on Swin-T).
_base_ = ['./adapter.py']
tuner = dict(type='SharedAdapter', shared=True)
