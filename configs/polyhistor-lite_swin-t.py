# Short entry point: python tools/train.py configs/polyhistor-lite_swin-t.py
_base_ = ['./polyhistor/polyhistor-lite_swin-t_pascal-context.py']
