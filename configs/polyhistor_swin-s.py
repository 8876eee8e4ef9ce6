# Short entry point: python tools/train.py configs/polyhistor_swin-s.py
_base_ = ['./polyhistor/polyhistor_swin-s_pascal-context.py']
