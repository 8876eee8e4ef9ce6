"""A segmentor with one backbone and one decode head per task."""
import copy
import inspect
from typing import Dict, List, Mapping, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper
from mmengine.structures import PixelData
from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.models.utils import resize
from mmseg.registry import MODELS

from ...structures import MultiTaskDataSample
from ...tasks import BaseTask, TaskSet, build_tasks
from ..backbones.feature_channels import feature_channels
from ..backbones.task_conditioned import Features, TaskConditionedBackbone
from ..float32_island import float32_function
from .per_task_step import per_task_train_step
from .sliding_window import check_test_cfg, slide_logits


@MODELS.register_module()
class MultiTaskSegmentor(BaseSegmentor):
    """Multi-task dense prediction: one backbone, one decode head per task.

    The tasks (the config's top-level ``tasks``) decide everything that
    differs between tasks: each head's output channels, loss and
    activation, each task's loss weight, the ground-truth padding of the
    data preprocessor and how predictions are restored to the original
    image.

    The backbone is called through :meth:`extract_feat`, which returns
    features per task: a plain backbone runs once and its features are
    shared; a :class:`TaskConditionedBackbone` computes them per task (or
    once, unless its :attr:`~TaskConditionedBackbone.run_mode` is per task).

    When the backbone needs one pass per task, :meth:`train_step` runs each
    task's forward and backward in turn (gradients accumulate, the optimiser
    steps once), so only one task's graph is alive at a time. The gradients
    equal those of the summed loss. A backbone that batches its per-task
    passes into one (``PEFTBackbone(batched_task_passes=True)``) has one
    graph for all tasks: the summed loss is back-propagated once.

    Args:
        backbone: Backbone config.
        tasks: Task name -> task config (or a :class:`~mmpoly.tasks.TaskSet`);
            ``tools/train.py`` / ``tools/test.py`` fill it in from the
            config's top-level ``tasks``.
        decode_head: Config of the head every task gets (``task`` and
            ``in_channels`` are filled in).
        decode_heads: Optional task name -> keys that override
            ``decode_head`` for that task.
        train_cfg: ``per_task_backward`` (default True) turns the
            per-task forward/backward on or off.
        test_cfg: ``mode='whole'`` (default: one pass over the padded
            image) or ``mode='slide'`` with ``crop_size=(H, W)`` and
            ``stride=(H, W)`` (overlapping windows, logits averaged, as
            MMSeg; :mod:`.sliding_window`); passed to the heads. Another
            mode is refused.
        data_preprocessor: Preprocessor config; a
            :class:`~mmpoly.models.MultiTaskDataPreprocessor` gets the
            tasks.
        init_cfg: Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 tasks: Optional[Union[TaskSet, Mapping]] = None,
                 decode_head: Optional[dict] = None,
                 decode_heads: Optional[Dict[str, dict]] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if tasks is None:
            raise ValueError(
                'MultiTaskSegmentor needs tasks: declare them in the '
                'config\'s top-level `tasks` (tools/train.py and '
                'tools/test.py pass them on), or give model.tasks')
        task_set = build_tasks(tasks)
        super().__init__(
            data_preprocessor=_with_tasks(data_preprocessor, task_set),
            init_cfg=init_cfg)
        self.task_set = task_set
        self.tasks = task_set.names
        self.backbone = self._build_backbone(backbone)
        self.decode_heads = self._build_heads(decode_head, decode_heads or {})
        self.loss_weights = {t.name: t.loss_weight for t in task_set.values()}
        self.train_cfg = dict(train_cfg or {})
        self.test_cfg = check_test_cfg(test_cfg or {})
        self.align_corners = False

    def _build_backbone(self, cfg: dict) -> nn.Module:
        """Build the backbone; task-conditioned ones get the task names."""
        cfg = dict(cfg)
        cls = cfg.get('type')
        if isinstance(cls, str):
            cls = MODELS.get(cls)
        if isinstance(cls, type) and issubclass(cls, TaskConditionedBackbone):
            given = cfg.setdefault('tasks', self.tasks)
            if tuple(given) != self.tasks:
                raise ValueError(
                    f'model.backbone.tasks {list(given)} differ from the '
                    f'tasks {list(self.tasks)}')
        return MODELS.build(cfg)

    def _build_heads(self, template: Optional[dict],
                     overrides: Dict[str, dict]) -> nn.ModuleDict:
        unknown = [t for t in overrides if t not in self.task_set]
        if unknown:
            raise ValueError(f'model.decode_heads names {unknown}, which are '
                             f'not tasks; the tasks are {list(self.tasks)}')
        channels = feature_channels(self.backbone)
        heads = nn.ModuleDict()
        for name, task in self.task_set.items():
            cfg = copy.deepcopy(dict(template or {}))
            cfg.update(copy.deepcopy(dict(overrides.get(name, {}))))
            if 'type' not in cfg:
                raise ValueError(f'no decode head for task {name!r}: give '
                                 'model.decode_head (every task) or '
                                 f'model.decode_heads.{name}')
            given = cfg.get('task')
            if given is not None and given != name and given is not task:
                raise ValueError(f'model.decode_heads.{name} has task='
                                 f'{given!r}')
            cfg['task'] = task
            if channels is not None:
                cfg.setdefault('in_channels', channels)
            heads[name] = MODELS.build(cfg)
        return heads

    # ------------------------------------------------------------ features
    @property
    def per_task_pass(self) -> bool:
        """Whether the backbone runs a separate pass per task, not one
        task-batched pass (:attr:`TaskConditionedBackbone.
        separate_task_passes`)."""
        return isinstance(self.backbone, TaskConditionedBackbone) and \
            self.backbone.separate_task_passes

    @property
    def uses_per_task_backward(self) -> bool:
        """Whether :meth:`train_step` back-propagates task by task."""
        return self.per_task_pass and self.train_cfg.get(
            'per_task_backward', True)

    def extract_feat(
            self,
            inputs: torch.Tensor,
            tasks: Optional[Sequence[str]] = None) -> Dict[str, Features]:
        """Backbone features for each task (see class docstring)."""
        tasks = self.tasks if tasks is None else tuple(tasks)
        if isinstance(self.backbone, TaskConditionedBackbone):
            return self.backbone.forward_tasks(inputs, tasks)
        feats = self.backbone(inputs)
        return {t: feats for t in tasks}

    def encode_decode(
            self,
            inputs: torch.Tensor,
            batch_img_metas: List[dict],
            tasks: Optional[Sequence[str]] = None) -> Dict[str, torch.Tensor]:
        """Logits of ``tasks`` (all by default) at the padded input size;
        only those tasks' backbone passes run."""
        tasks = self._check_subset(tasks)
        feats = self.extract_feat(inputs, tasks)
        return {
            t:
            self.decode_heads[t].predict(feats[t], batch_img_metas,
                                         self.test_cfg)
            for t in tasks
        }

    def _check_subset(self, tasks: Optional[Sequence[str]]) -> tuple:
        if tasks is None:
            return self.tasks
        tasks = tuple(tasks)
        unknown = [t for t in tasks if t not in self.task_set]
        if unknown or not tasks:
            raise ValueError(f'tasks {list(tasks)}: expected a non-empty '
                             f'subset of the model\'s tasks '
                             f'{list(self.tasks)}')
        return tasks

    # -------------------------------------------------------------- modes
    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor',
                tasks: Optional[Sequence[str]] = None):
        """MMEngine's entry point; ``tasks`` restricts ``loss`` and
        ``predict`` to a subset of the tasks."""
        if mode == 'loss':
            return self.loss(inputs, data_samples, tasks)
        if mode == 'predict':
            return self.predict(inputs, data_samples, tasks)
        return super().forward(inputs, data_samples, mode)

    def loss(self,
             inputs: torch.Tensor,
             data_samples: list,
             tasks: Optional[Sequence[str]] = None) -> Dict[str, torch.Tensor]:
        """Weighted losses of ``tasks`` (all by default), keys
        ``<task>.<loss name>``."""
        tasks = self.tasks if tasks is None else tuple(tasks)
        feats = self.extract_feat(inputs, tasks)
        losses = {}
        for task in tasks:
            head_losses = self.decode_heads[task].loss(feats[task],
                                                       data_samples,
                                                       self.train_cfg)
            weight = self.loss_weights[task]
            for name, value in head_losses.items():
                if 'loss' in name:
                    value = value * weight
                losses[f'{task}.{name}'] = value
        return losses

    def predict(self,
                inputs: torch.Tensor,
                data_samples: Optional[list] = None,
                tasks: Optional[Sequence[str]] = None) -> list:
        """Predictions of ``tasks`` (all by default) at each image's
        original size."""
        if data_samples is not None:
            metas = [s.metainfo for s in data_samples]
        else:
            shape = tuple(inputs.shape[2:])
            metas = [
                dict(
                    ori_shape=shape,
                    img_shape=shape,
                    pad_shape=shape,
                    padding_size=[0, 0, 0, 0])
            ] * inputs.shape[0]
        logits = self.inference(inputs, metas, tasks)
        return self.postprocess_result(logits, data_samples)

    def inference(
            self,
            inputs: torch.Tensor,
            batch_img_metas: List[dict],
            tasks: Optional[Sequence[str]] = None) -> Dict[str, torch.Tensor]:
        """Logits of ``tasks`` at the padded input size, by
        ``test_cfg.mode``: one pass over the whole input (``'whole'``) or
        averaged sliding windows (``'slide'``, see
        :mod:`.sliding_window`)."""
        if self.test_cfg['mode'] == 'slide':
            return slide_logits(self.encode_decode, inputs, batch_img_metas,
                                self.test_cfg['crop_size'],
                                self.test_cfg['stride'],
                                self._check_subset(tasks))
        return self.encode_decode(inputs, batch_img_metas, tasks)

    def _forward(
            self,
            inputs: torch.Tensor,
            data_samples: Optional[list] = None) -> Dict[str, torch.Tensor]:
        """Raw head outputs per task (no post-processing)."""
        feats = self.extract_feat(inputs)
        return {t: self.decode_heads[t].forward(feats[t]) for t in self.tasks}

    @float32_function
    def postprocess_result(self,
                           seg_logits: Dict[str, torch.Tensor],
                           data_samples: Optional[list] = None) -> list:
        """Undo padding, flip and resize; set ``pred_<task>`` per sample.

        Runs in float32 under mixed precision (the logits are cast), so
        predictions and metrics are float32.

        Args:
            seg_logits: Task -> ``(N, C, H_pad, W_pad)`` logits.
            data_samples: Samples with meta information, or None.

        Returns:
            The samples with ``pred_<task>`` (see
            :class:`~mmpoly.structures.MultiTaskDataSample`).
        """
        num = next(iter(seg_logits.values())).shape[0]
        if data_samples is None:
            data_samples = [MultiTaskDataSample() for _ in range(num)]
            metas = [None] * num
        else:
            metas = [s.metainfo for s in data_samples]
        for name, logits in seg_logits.items():
            task = self.task_set[name]
            for i in range(num):
                x = logits[i]
                if metas[i] is not None:
                    x = self._restore_geometry(x, metas[i], task)
                data_samples[i].set_field(
                    PixelData(data=task.activate(x)), task.pred_key)
        return data_samples

    def _restore_geometry(self, x: torch.Tensor, meta: dict,
                          task: BaseTask) -> torch.Tensor:
        """Undo padding and flip of ``(C, H, W)`` logits, then resize them
        to the original image size."""
        left, right, top, bottom = meta.get('padding_size', (0, 0, 0, 0))
        h, w = x.shape[-2:]
        x = x[:, top:h - bottom, left:w - right]
        if meta.get('flip', False):
            x = task.flip_logits(x, meta.get('flip_direction', 'horizontal'))
        return resize(
            x[None],
            size=tuple(meta['ori_shape'][:2]),
            mode='bilinear',
            align_corners=self.align_corners,
            warning=False)[0]

    # ------------------------------------------------------------ training
    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """One optimisation step; per-task backward when it saves memory.

        With a shared backbone pass this is MMEngine's standard step. With one
        pass per task, each task's loss is back-propagated right after its
        forward (intermediate tasks outside the optimiser wrapper's step
        counting, the last through ``update_params``), so peak memory is that
        of one task's graph.
        """
        if not self.uses_per_task_backward:
            return super().train_step(data, optim_wrapper)
        return per_task_train_step(
            self, data, optim_wrapper, self.tasks,
            lambda batch, task: self.loss(
                batch['inputs'], batch['data_samples'], tasks=(task, )))


def _with_tasks(cfg: Optional[dict],
                tasks: TaskSet) -> Optional[Union[dict, nn.Module]]:
    """The data preprocessor config, given the tasks if it takes them."""
    if not isinstance(cfg, Mapping):
        return cfg
    cls = cfg.get('type')
    if isinstance(cls, str):
        cls = MODELS.get(cls)
    if cls is None or 'tasks' not in inspect.signature(cls).parameters:
        return cfg
    cfg = dict(cfg)
    if cfg.get('tasks') is not None and build_tasks(
            cfg['tasks']).names != tasks.names:
        raise ValueError('model.data_preprocessor.tasks differ from the '
                         f'tasks {list(tasks.names)}')
    cfg['tasks'] = tasks
    return cfg
