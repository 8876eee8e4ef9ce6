# mona_swin-t_nyud.py with Swin-B.
_base_ = ['./mona_swin-t_nyud.py', '../_base_/models/swin_sizes.py']
model = dict(backbone=dict(backbone={{_base_.swin_b}}))
