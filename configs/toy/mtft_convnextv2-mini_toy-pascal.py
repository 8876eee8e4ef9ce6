# mtft_convnext-mini_toy-pascal.py with ConvNeXt-V2 blocks (GRN, no
# layer scale).
_base_ = ['./mtft_convnext-mini_toy-pascal.py']
model = dict(backbone={{_base_.convnextv2_mini}})
