# Short entry point: python tools/train.py configs/polyhistor-lite_swin-s.py
_base_ = ['./polyhistor/polyhistor-lite_swin-s_pascal-context.py']
