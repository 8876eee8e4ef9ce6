# Polyhistor on SegFormer's Mix Transformer (a small random MiT), on the toy
# data: the toy Polyhistor config with its backbone replaced.
_base_ = ['../../configs/toy/polyhistor_swin-mini_toy-pascal.py']
custom_imports = dict(
    imports=['mmpoly', 'mit_description'], allow_failed_imports=False)
model = dict(
    backbone=dict(
        backbone=dict(
            _delete_=True,
            type='MixVisionTransformer',
            embed_dims=16,
            num_layers=[1, 1, 2, 1],
            num_heads=[1, 2, 4, 8],
            sr_ratios=[8, 4, 2, 1],
            out_indices=(0, 1, 2, 3))))
