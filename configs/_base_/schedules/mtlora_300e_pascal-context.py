# The MTLoRA protocol's schedule, in epochs of PASCAL-Context train (4,998
# images) at 32 images per iteration (the authors' command line: one GPU,
# batch 32; the last partial batch of an epoch is dropped, 156 iterations an
# epoch):
# - AdamW (betas 0.9 / 0.999, eps 1e-8), weight decay 0.05 except on 1-D
#   tensors and biases (norms, biases, scales; the relative-position tables
#   are 2-D and decayed);
# - learning rate 5e-4 x batch / 512 (3.125e-5 at batch 32): scale it with
#   your total batch, as the authors do;
# - 20 epochs of linear warm-up from 1e-3 x that rate, then cosine decay per
#   iteration to 1e-2 x that rate, 300 epochs in all;
# - gradient-norm clipping at 5.0. The authors train with mixed precision
#   (`tools/train.py --amp` on a GPU).
# Validation and checkpoints every 20 epochs; the best Δm is kept (the hooks
# of adamw_cosine_40k.py).
_base_ = ['./adamw_cosine_40k.py']
train_images = 4998
batch_size = 32
iters_per_epoch = train_images // batch_size
epochs = 300
warmup_epochs = 20
lr = 5e-4 * batch_size / 512
max_iters = epochs * iters_per_epoch
warmup_iters = warmup_epochs * iters_per_epoch
val_interval = 20 * iters_per_epoch

optim_wrapper = dict(
    optimizer=dict(lr=lr, eps=1e-8),
    paramwise_cfg=dict(
        _delete_=True,
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        flat_decay_mult=0.),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=False,
        begin=0,
        end=warmup_iters),
    dict(
        type='CosineAnnealingLR',
        eta_min=lr * 1e-2,
        by_epoch=False,
        begin=warmup_iters,
        end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
default_hooks = dict(checkpoint=dict(interval=val_interval))
randomness = dict(seed=0)
