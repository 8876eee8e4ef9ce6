# The toy multi-task model with one more task, added purely by config:
# coarse scene classes (5 instead of semseg's 21), read from the extra folder
# <data_root>/coarse_scene/ by a task class of our own.
_base_ = ['../../configs/toy/mtft_swin-mini_toy-pascal.py']
custom_imports = dict(
    imports=['mmpoly', 'coarse_scene_task'], allow_failed_imports=False)
tasks = dict(
    coarse=dict(
        type='ColourCodedSegmentationTask',
        ann_dir='coarse_scene',
        palette=[(0, 0, 0), (220, 60, 60), (60, 180, 60), (60, 60,
                                                           220), (200, 200,
                                                                  40)],
        class_names=['background', 'person', 'animal', 'vehicle', 'indoor'],
        loss_weight=1.0))
