# Short entry point: python tools/train.py configs/polyhistor_swin-t.py
_base_ = ['./polyhistor/polyhistor_swin-t_pascal-context.py']
