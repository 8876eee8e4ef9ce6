# DoRA in MTLoRA's layout: MTLoRA's r64 setting (shared rank 64 on qkv /
# proj / fc1 / fc2 of every block, task rank 4 on proj / fc1 / fc2 of each
# stage's last block giving per-task stage features, scale 4, dropout
# 0.05; patch embedding, LayerNorms, patch-merging reductions and
# relative-position tables trained too) with every LoRA branch a DoRA
# branch: a magnitude per output unit (9·C per block shared, 6·C per task
# and stage; 74,304 on Swin-T with 4 tasks). A task stream computes
# W x_s + b + (m_t/n_t - 1)·(W x'_s) + (m_t/n_t)·s·B_t·A_t·x'_t (our
# reconstruction: the DoRA form of W + s·B_t·A_t with W on the shared input).
# With the MTLoRA-protocol backbone and decoders: 5,027,450 / 6,157,946 /
# 8,418,938 trainable for shared rank 16 / 32 / 64.
_base_ = ['./mtlora.py']
tuner = dict(type='DoRAMTLoRA')
