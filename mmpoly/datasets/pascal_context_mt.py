"""PASCAL-Context multi-task data set, read in its distributed layout."""
import os.path as osp
from typing import Dict

from mmseg.registry import DATASETS

from ..tasks import BinaryTask, EdgeTask, NormalsTask, SegmentationTask
from .multitask_dataset import BaseMultiTaskDataset, GTSource
from .pascal_formats import (decode_human_parts, decode_label_map_edges,
                             decode_masked_normals)
from .pascal_meta import human_part_classes, voc_classes

#: The on-disk layout, shown in error messages.
PASCAL_MT_LAYOUT = """\
<data_root>/
  JPEGImages/<id>.jpg                 RGB images
  ImageSets/Context/{train,val}.txt   split files, one id per line
  semseg/VOC12/<id>.png               semseg (or semseg/pascal-context/)
  human_parts/<id>.mat                PASCAL-Part 'anno' struct (human_parts)
  sal_distill/<id>.png                saliency (sal)
  normals_distill/<id>.png            surface normals (normals)
  pascal-context/trainval/<id>.mat    'LabelMap' (normals mask; edge)"""


@DATASETS.register_module()
class PascalContextMTDataset(BaseMultiTaskDataset):
    """PASCAL-Context for multi-task dense prediction (the ASTMT release).

    Reads ``PASCAL_MT`` as distributed (see :data:`PASCAL_MT_LAYOUT`). It
    provides, by task name:

    - ``semseg`` (a :class:`~mmpoly.tasks.SegmentationTask`, 21 classes):
      ``semseg/VOC12/<id>.png``, or ``semseg/pascal-context/<id>.png``;
    - ``human_parts`` (``SegmentationTask``, 7 classes): the person parts
      of the PASCAL-Part ``anno`` struct ``human_parts/<id>.mat``;
    - ``sal`` (:class:`~mmpoly.tasks.BinaryTask`):
      ``sal_distill/<id>.png``;
    - ``normals`` (:class:`~mmpoly.tasks.NormalsTask`):
      ``normals_distill/<id>.png``, kept on the normals-valid classes of
      the ``LabelMap``;
    - ``edge`` (:class:`~mmpoly.tasks.EdgeTask`): the thinned non-zero
      Laplacian of the ``LabelMap`` (``pascal-context/trainval/<id>.mat``).

    Any other task needs ``ann_dir`` (see
    :class:`~mmpoly.datasets.BaseMultiTaskDataset`).

    Args:
        data_root: Root of the ``PASCAL_MT`` folder.
        tasks: The config's ``tasks``.
        split: Split name; reads ``ImageSets/Context/<split>.txt`` unless
            ``ann_file`` is given.
        **kwargs: :class:`~mmpoly.datasets.BaseMultiTaskDataset` arguments.
    """

    IMAGE_PATTERN = 'JPEGImages/{id}.jpg'
    LAYOUT = PASCAL_MT_LAYOUT
    METAINFO = dict(
        semseg_classes=voc_classes(),
        human_parts_classes=human_part_classes(),
        sal_classes=('background', 'salient'),
        edge_classes=('background', 'edge'),
    )

    @classmethod
    def default_ann_file(cls, split: str) -> str:
        return osp.join('ImageSets', 'Context', f'{split}.txt')

    @classmethod
    def gt_sources(cls) -> Dict[str, GTSource]:
        label_map = 'pascal-context/trainval/{id}.mat'
        return dict(
            semseg=GTSource(
                ('semseg/VOC12/{id}.png', 'semseg/pascal-context/{id}.png'),
                SegmentationTask),
            human_parts=GTSource(('human_parts/{id}.mat', ), SegmentationTask,
                                 decode_human_parts),
            sal=GTSource(('sal_distill/{id}.png', ), BinaryTask),
            normals=GTSource(('normals_distill/{id}.png', ), NormalsTask,
                             decode_masked_normals, label_map),
            edge=GTSource((label_map, ), EdgeTask, decode_label_map_edges),
        )

    @classmethod
    def _generate_hint(cls, data_root: str) -> str:
        return ('\n(to generate a small synthetic one: python tools/misc/'
                f'generate_toy_pascal_mt.py {data_root})')
