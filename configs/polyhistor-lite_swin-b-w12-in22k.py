# Short entry point: python tools/train.py polyhistor-lite_swin-b-w12-in22k
_base_ = ['./polyhistor/polyhistor-lite_swin-b-w12-in22k_pascal-context.py']
