# VPT-shallow: 50 prompt tokens per task in the first block, attended
# inside every attention window (2,568,224 on Swin-T).
tuner = dict(type='VPTShallow', num_tokens=50, patch_size=4)
