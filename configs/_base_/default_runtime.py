# Runtime shared by every mmpoly config (MMSegmentation conventions).
default_scope = 'mmseg'
custom_imports = dict(imports=['mmpoly'], allow_failed_imports=False)
# gives the config's top-level `tasks` to the model, data sets and metrics
runner_type = 'MultiTaskRunner'

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py and tools/test.py switch to 'gloo' without CUDA
    dist_cfg=dict(backend='nccl'),
)
# panels of samples (the image, then each task's ground truth and
# prediction); add dict(type='TensorboardVisBackend') for TensorBoard
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='MultiTaskLocalVisualizer',
    vis_backends=vis_backends,
    name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
# DDP wrapper that keeps per-task backward (and runs on CPU with gloo)
model_wrapper_cfg = dict(type='MultiTaskDDP')
