# Short entry point: python tools/train.py configs/polyhistor_swin-b.py
_base_ = ['./polyhistor/polyhistor_swin-b_pascal-context.py']
