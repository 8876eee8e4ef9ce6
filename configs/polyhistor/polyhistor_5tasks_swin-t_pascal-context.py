# Polyhistor on the five PASCAL-Context tasks: the four of
# polyhistor_swin-t_pascal-context.py plus edge detection.
_base_ = ['./polyhistor_swin-t_pascal-context.py']
tasks = dict(edge={{_base_.edge_task}})
# Δm needs a single-task edge reference, which has not been published for
# Swin-T: select checkpoints by semseg mIoU until tasks.edge sets one.
default_hooks = dict(checkpoint=dict(save_best='semseg/mIoU'))
