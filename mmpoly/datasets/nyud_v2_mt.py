"""NYUD-v2 multi-task data set, in either of its two packagings."""
import os.path as osp
from typing import Dict, Optional

from mmseg.registry import DATASETS

from ..tasks import DepthTask, EdgeTask, NormalsTask, SegmentationTask
from .meta import read_lines
from .multitask_dataset import BaseMultiTaskDataset, GTSource
from .nyud_formats import decode_nyud_semseg

#: Both packagings, shown in error messages.
NYUD_LAYOUT = """\
<data_root>/                          layout 'nyud_mt' (the survey / MTLoRA
  images/<id>.jpg                     NYUD_MT release) or 'invpt' (InvPT's
  segmentation/<id>.png               NYUDv2): .jpg images mean 'nyud_mt',
  depth/<id>.npy                      .png images 'invpt'
  normals/<id>.npy   (invpt: .png)
  edge/<id>.npy      (invpt: .png)
  gt_sets/{train,val}.txt             split files, one id per line
segmentation: 0 = void, classes 1..40; depth in metres (0 = invalid);
normals xyz in [-1, 1] (.png: 2 * value / 255 - 1); edges 1 on edges
(.png: value / 255)"""

#: File suffixes per layout: images, normals, edge.
LAYOUTS = dict(
    nyud_mt=dict(image='.jpg', normals='.npy', edge='.npy'),
    invpt=dict(image='.png', normals='.png', edge='.png'))


def nyud_classes():
    """The 40 NYUD-v2 classes, in label order (``meta/nyud_40_classes``)."""
    return tuple(read_lines('nyud_40_classes.txt'))


@DATASETS.register_module()
class NYUDv2MTDataset(BaseMultiTaskDataset):
    """NYUD-v2 for multi-task dense prediction: 795 train / 654 val images.

    Reads both packagings in circulation (see :data:`NYUD_LAYOUT`): the
    survey / MTLoRA ``NYUD_MT`` release (``layout='nyud_mt'``) and InvPT's
    ``NYUDv2`` (``layout='invpt'``); ``layout='auto'`` picks the one whose
    image files exist. It provides, by task name:

    - ``semseg`` (a :class:`~mmpoly.tasks.SegmentationTask`, 40 classes):
      ``segmentation/<id>.png``, 0 = void (ignored), ``v`` = class ``v - 1``;
    - ``depth`` (:class:`~mmpoly.tasks.DepthTask`): ``depth/<id>.npy``;
    - ``normals`` (:class:`~mmpoly.tasks.NormalsTask`):
      ``normals/<id>.npy`` or ``.png``;
    - ``edge`` (:class:`~mmpoly.tasks.EdgeTask`): ``edge/<id>.npy`` or
      ``.png``.

    Any other task needs ``ann_dir`` (see
    :class:`~mmpoly.datasets.BaseMultiTaskDataset`).

    Args:
        data_root: Root of the ``NYUD_MT`` / ``NYUDv2`` folder.
        tasks: The config's ``tasks``.
        split: Split name; reads ``gt_sets/<split>.txt`` unless ``ann_file``
            is given.
        layout: ``'auto'``, ``'nyud_mt'`` or ``'invpt'``.
        **kwargs: :class:`~mmpoly.datasets.BaseMultiTaskDataset` arguments.
    """

    LAYOUT = NYUD_LAYOUT
    METAINFO = dict(
        semseg_classes=nyud_classes(), edge_classes=('background', 'edge'))

    def __init__(self,
                 data_root: str,
                 tasks=None,
                 split: str = 'train',
                 layout: str = 'auto',
                 ann_file: Optional[str] = None,
                 **kwargs) -> None:
        if layout not in ('auto', *LAYOUTS):
            raise ValueError(f'{type(self).__name__}: layout must be '
                             f'"auto", "nyud_mt" or "invpt", got {layout!r}')
        if layout == 'auto':
            layout = self.detect_layout(data_root, split, ann_file)
        self.layout = layout
        super().__init__(
            data_root, tasks=tasks, split=split, ann_file=ann_file, **kwargs)

    @classmethod
    def default_ann_file(cls, split: str) -> str:
        return osp.join('gt_sets', f'{split}.txt')

    @classmethod
    def detect_layout(cls,
                      data_root: str,
                      split: str = 'train',
                      ann_file: Optional[str] = None) -> str:
        """The packaging of ``data_root``, from its first image's suffix.

        Raises:
            FileNotFoundError: when the root or the split file is missing,
                or no image of the first id exists in either form.
        """
        ann_file = ann_file or cls.default_ann_file(split)
        split_path = ann_file if osp.isabs(ann_file) else osp.join(
            data_root, ann_file)
        cls._check_paths(data_root, split_path)
        with open(split_path) as f:
            first = next((line.strip() for line in f if line.strip()), None)
        if first is None:
            raise ValueError(f'split file {split_path!r} lists no image')
        for layout, suffixes in LAYOUTS.items():
            if osp.isfile(
                    osp.join(data_root, 'images', first + suffixes['image'])):
                return layout
        raise FileNotFoundError(
            f'{cls.__name__}: neither images/{first}.jpg (layout nyud_mt) '
            f'nor images/{first}.png (layout invpt) exists in {data_root}. '
            f'Expected layout:\n{NYUD_LAYOUT}')

    @classmethod
    def gt_sources(cls, layout: str = 'nyud_mt') -> Dict[str, GTSource]:
        suffix = LAYOUTS[layout]
        return dict(
            semseg=GTSource(('segmentation/{id}.png', ), SegmentationTask,
                            decode_nyud_semseg),
            depth=GTSource(('depth/{id}.npy', ), DepthTask),
            normals=GTSource(('normals/{id}' + suffix['normals'], ),
                             NormalsTask),
            edge=GTSource(('edge/{id}' + suffix['edge'], ), EdgeTask),
        )

    def layout_sources(self) -> Dict[str, GTSource]:
        return self.gt_sources(self.layout)

    def image_pattern(self) -> str:
        return 'images/{id}' + LAYOUTS[self.layout]['image']

    @classmethod
    def _generate_hint(cls, data_root: str) -> str:
        return ('\n(to generate a small synthetic one: python tools/misc/'
                f'generate_toy_nyud_mt.py {data_root})')
