# VPT-deep: 50 prompt tokens per task in every block (3,432,224 on
# Swin-T).
tuner = dict(type='VPTDeep', num_tokens=50, patch_size=4)
