# TADFormer (tadformer.py) with the released code's task-adaptive filter: a
# plain depthwise 3x3 convolution (with bias) per task and Linear on the
# rank-r map instead of the dynamic filter shared by the tasks. 6,946,878
# trainable parameters on Swin-T with the MTLoRA protocol's decoders
# (r = 16 / 32: 3,532,350 / 4,670,526); the paper's counts are the dynamic
# filter's.
_base_ = ['./tadformer.py']
tuner = dict(filter='naive')
