# VPT-deep: 50 prompt tokens per task in every block (3,432,224 on
# Swin-T).
tuner = dict(type='VPT', num_tokens=50, deep=True, patch_size=4)
