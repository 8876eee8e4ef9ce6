# Short entry point: python tools/train.py configs/polyhistor-lite_swin-b.py
_base_ = ['./polyhistor/polyhistor-lite_swin-b_pascal-context.py']
