# MTLoRA+ (the reference's `plus` configs): MTLoRA (mtlora.py) with a
# shared LoRA of the same rank on every patch merging's reduction as well,
# the reduction itself frozen (the other backbone extras still train).
_base_ = ['./mtlora.py']
tuner = dict(
    merge_rank=64,
    unfreeze=('patch_embed', 'norm', 'relative_position_bias_table'))
