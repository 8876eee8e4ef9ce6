"""PASCAL-Context multi-task data set, read in its distributed layout."""
import os.path as osp
from collections import Counter
from typing import Dict, List, Optional, Sequence

from mmengine.dataset import BaseDataset
from mmseg.registry import DATASETS

from ..structures import check_tasks
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
  pascal-context/trainval/<id>.mat    'LabelMap' (needed by normals)"""

#: How many missing files an error lists before summarising.
_MAX_LISTED = 10


def _semseg_path(root: str, img_id: str) -> Optional[str]:
    for sub in ('VOC12', 'pascal-context'):
        path = osp.join(root, 'semseg', sub, img_id + '.png')
        if osp.isfile(path):
            return path
    return None


def _check_paths(data_root: str, split_path: str) -> None:
    if not osp.isdir(data_root):
        raise FileNotFoundError(
            f'PASCAL-Context data root {data_root!r} does not exist. '
            f'Expected layout:\n{PASCAL_MT_LAYOUT}\n'
            f'(to generate a small synthetic one: python tools/misc/'
            f'generate_toy_pascal_mt.py {data_root})')
    if not osp.isfile(split_path):
        raise FileNotFoundError(
            f'split file {split_path!r} does not exist. Expected layout:\n'
            f'{PASCAL_MT_LAYOUT}')


@DATASETS.register_module()
class PascalContextMTDataset(BaseDataset):
    """PASCAL-Context for multi-task dense prediction (the ASTMT release).

    Reads ``PASCAL_MT`` as distributed (see :data:`PASCAL_MT_LAYOUT`): the
    split file lists image ids, and every selected task's label file must
    exist for every id, otherwise construction fails with an error listing
    the missing files. Labels are decoded by
    :class:`~mmpoly.datasets.transforms.LoadMultiTaskAnnotations`.

    Args:
        data_root: Root of the ``PASCAL_MT`` folder.
        split: Split name; reads ``ImageSets/Context/<split>.txt`` unless
            ``ann_file`` is given.
        tasks: Any subset of ``('semseg', 'human_parts', 'sal', 'normals')``.
        ann_file: Split file, relative to ``data_root`` or absolute.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`
            (``pipeline``, ``test_mode``, ``indices``, ...).
    """

    SUPPORTED_TASKS = ('semseg', 'human_parts', 'sal', 'normals')
    METAINFO = dict(
        semseg_classes=voc_classes(),
        human_parts_classes=human_part_classes(),
        sal_classes=('background', 'salient'),
    )

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 tasks: Sequence[str] = SUPPORTED_TASKS,
                 ann_file: Optional[str] = None,
                 **kwargs) -> None:
        self.tasks = check_tasks(tasks)
        unsupported = [t for t in self.tasks if t not in self.SUPPORTED_TASKS]
        if unsupported:
            raise ValueError(
                f'{type(self).__name__} does not provide tasks {unsupported}; '
                f'supported: {self.SUPPORTED_TASKS}')
        self.split = split
        if ann_file is None:
            ann_file = osp.join('ImageSets', 'Context', f'{split}.txt')
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        metainfo.setdefault('tasks', self.tasks)
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            metainfo=metainfo,
            **kwargs)

    @classmethod
    def check_data_root(cls,
                        data_root: str,
                        split: str = 'train',
                        ann_file: Optional[str] = None,
                        **unused) -> None:
        """Fail early, with the expected layout, if the data is not there.

        Cheap: looks only at the root and the split file.

        Raises:
            FileNotFoundError: naming the missing path.
        """
        if ann_file is None:
            ann_file = osp.join('ImageSets', 'Context', f'{split}.txt')
        split_path = ann_file if osp.isabs(ann_file) else osp.join(
            data_root, ann_file)
        _check_paths(data_root, split_path)

    def load_data_list(self) -> List[dict]:
        """Read the split file and resolve every task's label file."""
        _check_paths(self.data_root, self.ann_file)
        with open(self.ann_file) as f:
            ids = [line.strip() for line in f if line.strip()]
        if not ids:
            raise ValueError(f'split file {self.ann_file!r} lists no image')
        dup = sorted(i for i, n in Counter(ids).items() if n > 1)
        if dup:
            dup = dup[:_MAX_LISTED]
            raise ValueError(
                f'split file {self.ann_file!r} lists ids more than once: {dup}'
            )

        data_list, missing = [], []
        for img_id in ids:
            info = self._resolve_files(img_id, missing)
            data_list.append(info)
        if missing:
            listed = '\n  '.join(missing[:_MAX_LISTED])
            more = (f'\n  ... and {len(missing) - _MAX_LISTED} more'
                    if len(missing) > _MAX_LISTED else '')
            raise FileNotFoundError(
                f'{len(missing)} file(s) needed by split {self.ann_file!r} '
                f'for tasks {list(self.tasks)} are missing:\n  {listed}{more}'
                f'\nExpected layout:\n{PASCAL_MT_LAYOUT}')
        return data_list

    def _resolve_files(self, img_id: str, missing: List[str]) -> Dict:
        root = self.data_root

        def need(path: str) -> str:
            if not osp.isfile(path):
                missing.append(path)
            return path

        info = dict(
            img_id=img_id,
            img_path=need(osp.join(root, 'JPEGImages', img_id + '.jpg')),
            tasks=self.tasks,
            seg_fields=[],
            reduce_zero_label=False)
        if 'semseg' in self.tasks:
            path = _semseg_path(root, img_id)
            if path is None:
                missing.append(
                    osp.join(root, 'semseg', 'VOC12', img_id + '.png') +
                    ' (nor semseg/pascal-context/' + img_id + '.png)')
            info['semseg_path'] = path
        if 'human_parts' in self.tasks:
            info['human_parts_path'] = need(
                osp.join(root, 'human_parts', img_id + '.mat'))
        if 'sal' in self.tasks:
            info['sal_path'] = need(
                osp.join(root, 'sal_distill', img_id + '.png'))
        if 'normals' in self.tasks:
            info['normals_path'] = need(
                osp.join(root, 'normals_distill', img_id + '.png'))
            info['label_map_path'] = need(
                osp.join(root, 'pascal-context', 'trainval', img_id + '.mat'))
        return info
