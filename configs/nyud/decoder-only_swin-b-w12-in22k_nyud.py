# decoder-only_swin-b_nyud.py with the Swin-B pretrained on ImageNet-22k at
# 384 px, window 12 (MMSeg's in22k-384x384 pretraining).
_base_ = ['./decoder-only_swin-t_nyud.py', '../_base_/models/swin_sizes.py']
model = dict(backbone=dict(backbone={{_base_.swin_b_in22k_w12}}))
