"""The base class of multi-task dense prediction data sets."""
import os.path as osp
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Dict, List, Mapping, Optional, Tuple, Type, Union

from mmengine.dataset import BaseDataset

from ..tasks import BaseTask, TaskSet, build_tasks
from .transforms.loading import images_as_stored

#: How many missing files an error lists before summarising.
MAX_LISTED = 10


@dataclass(frozen=True)
class GTFile:
    """Where one image's ground truth of one task is, and how to decode it.

    Attributes:
        path: The label file.
        decoder: ``decoder(task, gt_file, image_shape, backend_args)`` ->
            the pipeline's array, for a data set's own formats; None: the
            task's :meth:`~mmpoly.tasks.BaseTask.read_gt`.
        aux_path: A second file the decoder needs, if any.
    """
    path: str
    decoder: Optional[Callable] = None
    aux_path: Optional[str] = None


@dataclass(frozen=True)
class GTSource:
    """How a data set stores one task's ground truth.

    Attributes:
        patterns: File paths relative to the data root, with ``{id}`` for
            the image id; the first that exists is used.
        task_type: The task class the files hold (a declared task must be
            one).
        decoder: See :attr:`GTFile.decoder`.
        aux_pattern: Pattern of :attr:`GTFile.aux_path`.
    """
    patterns: Tuple[str, ...]
    task_type: Type[BaseTask] = BaseTask
    decoder: Optional[Callable] = None
    aux_pattern: Optional[str] = None


class BaseMultiTaskDataset(BaseDataset):
    """A split of images, each with ground truth for every declared task.

    A subclass describes its layout: :meth:`default_ann_file` (the split
    file, one image id per line), :meth:`image_pattern` and
    :meth:`gt_sources`, the tasks it knows by name (in its own layout:
    :meth:`layout_sources`). A task it does not know
    is read from ``<data_root>/<task.ann_dir>/<id><task.ann_suffix>`` by
    the task itself, when the task gives ``ann_dir``; otherwise building the
    data set fails, naming the task.

    Every file of every image must exist: construction fails with an error
    listing the missing ones. Their content is decoded and checked by
    :class:`~mmpoly.datasets.transforms.LoadMultiTaskAnnotations` (each
    sample's ``gt_files`` and ``task_set``). Images are decoded as stored,
    like their labels: the pipeline's ``LoadImageFromFile`` ignores an EXIF
    orientation tag (:func:`~mmpoly.datasets.transforms.images_as_stored`).

    Args:
        data_root: Root of the data set.
        tasks: The config's ``tasks`` (name -> task config) or a
            :class:`~mmpoly.tasks.TaskSet`; ``tools/train.py`` /
            ``tools/test.py`` fill it in from the config's top-level
            ``tasks``.
        split: Split name (selects the default split file).
        ann_file: Split file, relative to ``data_root`` or absolute.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments
            (``pipeline``, ``test_mode``, ``indices``, ...).
    """

    #: Path of an image relative to the data root.
    IMAGE_PATTERN: str = '{id}.jpg'
    #: The layout, shown in error messages.
    LAYOUT: str = ''

    def __init__(self,
                 data_root: str,
                 tasks: Optional[Union[TaskSet, Mapping]] = None,
                 split: str = 'train',
                 ann_file: Optional[str] = None,
                 **kwargs) -> None:
        if tasks is None:
            raise ValueError(
                f'{type(self).__name__} needs tasks: declare them in the '
                'config\'s top-level `tasks` (tools/train.py and '
                'tools/test.py pass them on), or give dataset tasks=...')
        self.task_set = build_tasks(tasks)
        self.split = split
        known = self.layout_sources()
        self.sources = {
            name: self._source_of(task, known)
            for name, task in self.task_set.items()
        }
        if ann_file is None:
            ann_file = self.default_ann_file(split)
        if 'pipeline' in kwargs:  # images decoded like their labels
            kwargs['pipeline'] = images_as_stored(kwargs['pipeline'])
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        metainfo.setdefault('tasks', self.task_set.names)
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            metainfo=metainfo,
            **kwargs)

    # ------------------------------------------------------------- layout
    @classmethod
    def default_ann_file(cls, split: str) -> str:
        """The split file of ``split``, relative to the data root."""
        return f'{split}.txt'

    @classmethod
    def gt_sources(cls) -> Dict[str, GTSource]:
        """The tasks this data set stores, by task name (the same task names
        and types in every layout the class reads)."""
        return {}

    def layout_sources(self) -> Dict[str, GTSource]:
        """:meth:`gt_sources` in this data set's own layout."""
        return self.gt_sources()

    def image_pattern(self) -> str:
        """Path of an image relative to the data root, with ``{id}``."""
        return self.IMAGE_PATTERN

    @classmethod
    def _source_of(cls, task: BaseTask, known: Dict[str,
                                                    GTSource]) -> GTSource:
        if task.ann_dir is not None:
            return GTSource((osp.join(task.ann_dir,
                                      '{id}' + task.ann_suffix), ))
        name = cls.__name__
        if task.name not in known:
            raise ValueError(
                f'{name} cannot load task {task.name!r} '
                f'({type(task).__name__}): it provides {sorted(known)}. To '
                f'read a task from files of your own, give it ann_dir: '
                f'tasks.{task.name}.ann_dir=<folder under data_root> '
                f'(files <folder>/<id>{task.ann_suffix})')
        source = known[task.name]
        if not isinstance(task, source.task_type):
            raise ValueError(
                f'{name} stores {task.name!r} as a '
                f'{source.task_type.__name__} ({source.patterns[0]}), but '
                f'tasks.{task.name} is a {type(task).__name__}')
        return source

    @classmethod
    def check_data_root(cls,
                        data_root: str,
                        split: str = 'train',
                        ann_file: Optional[str] = None,
                        tasks: Optional[Union[TaskSet, Mapping]] = None,
                        **unused) -> None:
        """Fail early, with the expected layout, if the data is not there
        or the data set cannot load one of the tasks.

        Cheap: looks only at the root and the split file.

        Raises:
            FileNotFoundError: naming the missing path.
            ValueError: naming a task the data set cannot load.
        """
        if tasks is not None:
            for task in build_tasks(tasks).values():
                cls._source_of(task, cls.gt_sources())
        if ann_file is None:
            ann_file = cls.default_ann_file(split)
        split_path = ann_file if osp.isabs(ann_file) else osp.join(
            data_root, ann_file)
        cls._check_paths(data_root, split_path)

    @classmethod
    def _check_paths(cls, data_root: str, split_path: str) -> None:
        if not osp.isdir(data_root):
            hint = cls._generate_hint(data_root)
            raise FileNotFoundError(
                f'{cls.__name__}: data root {data_root!r} does not exist. '
                f'Expected layout:\n{cls.LAYOUT}{hint}')
        if not osp.isfile(split_path):
            raise FileNotFoundError(
                f'{cls.__name__}: split file {split_path!r} does not exist. '
                f'Expected layout:\n{cls.LAYOUT}')

    @classmethod
    def _generate_hint(cls, data_root: str) -> str:
        """A line on how to make a synthetic data set, if there is a tool."""
        return ''

    # -------------------------------------------------------------- files
    def load_data_list(self) -> List[dict]:
        """Read the split file and resolve every task's label file."""
        self._check_paths(self.data_root, self.ann_file)
        with open(self.ann_file) as f:
            ids = [line.strip() for line in f if line.strip()]
        if not ids:
            raise ValueError(f'split file {self.ann_file!r} lists no image')
        dup = sorted(i for i, n in Counter(ids).items() if n > 1)
        if dup:
            raise ValueError(f'split file {self.ann_file!r} lists ids more '
                             f'than once: {dup[:MAX_LISTED]}')
        missing: List[str] = []
        data_list = [self._resolve(img_id, missing) for img_id in ids]
        missing = list(dict.fromkeys(missing))  # a file two tasks share
        if missing:
            listed = '\n  '.join(missing[:MAX_LISTED])
            more = (f'\n  ... and {len(missing) - MAX_LISTED} more'
                    if len(missing) > MAX_LISTED else '')
            raise FileNotFoundError(
                f'{len(missing)} file(s) needed by split {self.ann_file!r} '
                f'for tasks {list(self.task_set)} are missing:\n  {listed}'
                f'{more}\nExpected layout:\n{self.LAYOUT}')
        return data_list

    def _resolve(self, img_id: str, missing: List[str]) -> dict:
        root = self.data_root
        img_path = osp.join(root, self.image_pattern().format(id=img_id))
        if not osp.isfile(img_path):
            missing.append(img_path)
        gt_files = {}
        for name, source in self.sources.items():
            paths = [
                osp.join(root, p.format(id=img_id)) for p in source.patterns
            ]
            path = next((p for p in paths if osp.isfile(p)), None)
            if path is None:
                others = ', '.join(osp.relpath(p, root) for p in paths[1:])
                missing.append(paths[0] +
                               (f' (nor {others})' if others else ''))
                path = paths[0]
            aux = None
            if source.aux_pattern is not None:
                aux = osp.join(root, source.aux_pattern.format(id=img_id))
                if not osp.isfile(aux):
                    missing.append(aux)
            gt_files[name] = GTFile(path, source.decoder, aux)
        return dict(
            img_id=img_id,
            img_path=img_path,
            tasks=self.task_set.names,
            gt_files=gt_files,
            seg_fields=[],
            reduce_zero_label=False)

    def get_data_info(self, idx: int) -> dict:
        """A sample's information, with the data set's task set (which the
        pipeline's transforms ask)."""
        info = super().get_data_info(idx)
        info['task_set'] = self.task_set
        return info
