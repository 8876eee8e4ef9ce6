# VPT-shallow: 50 prompt tokens per task in the first block, attended
# inside every attention window (2,568,224 on Swin-T).
tuner = dict(type='VPT', num_tokens=50, deep=False, patch_size=4)
