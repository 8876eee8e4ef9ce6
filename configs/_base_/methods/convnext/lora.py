# LoRA on ConvNeXt: no attention, so rank 4 on the two pointwise (1 x 1)
# layers of every block's MLP, which mmpoly calls fc1 and fc2.
_base_ = ['../lora.py']
tuner = dict(targets=('fc1', 'fc2'))
