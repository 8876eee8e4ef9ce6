# A small Swin (embed 32, depths 2/2/2/2) from random initialisation, for
# the toy configs and tests; otherwise the Swin-T multi-task model.
_base_ = ['./multitask_swin-t.py']
swin = dict(
    arch=dict(
        _delete_=True,
        embed_dims=32,
        depths=[2, 2, 2, 2],
        num_heads=[1, 2, 4, 8]),
    drop_path_rate=0.1,
    init_cfg=None)
head = dict(channels=64)
model = dict(backbone=swin, decode_head=head)
