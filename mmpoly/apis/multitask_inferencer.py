"""Running a trained multi-task model on images, after MMSeg's inferencer."""
import os.path as osp
from collections import Counter
from typing import Dict, List, Optional, Sequence, Union

import mmcv
import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.infer import BaseInferencer
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.runner.utils import set_random_seed
from mmseg.registry import DATASETS, TRANSFORMS

from ..engine.checkpoint_fit import (check_checkpoint_fits,
                                     checkpoint_state_dict)
from ..engine.file_backends import install_file_backends
from ..engine.optim.autocast_context import autocast_context, autocast_dtype
from ..models.backbones.load_report import backbone_load_line
from ..models.backbones.pretrained_layouts import refuse_pretrained_file
from ..tasks.label_io import as_stored
from ..utils.config_loading import load_config
from ..utils.model_building import quiet_init_log

InputType = Union[str, np.ndarray]

#: Transforms of a test pipeline the inferencer replaces (image loading) or
#: drops (ground truth: an arbitrary image has none).
_LOADERS = ('LoadImageFromFile', 'LoadMultiTaskAnnotations')


class MultiTaskInferencer(BaseInferencer):
    """Predictions of a multi-task model on images, folders or arrays.

    Built like MMSeg's ``MMSegInferencer`` from a config (path or short
    name, see :func:`mmpoly.utils.find_config`) and a checkpoint (full or
    adapter-only). The test pipeline of the config prepares the images; the
    model runs only the backbone passes of the tasks asked for. Building
    one installs mmpoly's checkpoint loader into MMEngine
    (:func:`~mmpoly.engine.install_file_backends`), which reads the
    checkpoints MMEngine saves.

    Example::

        inferencer = MultiTaskInferencer('polyhistor_swin-t', 'iter_40000.pth')
        result = inferencer('demo.jpg', tasks=['semseg', 'normals'],
                            out_dir='out')
        result['predictions']['semseg']  # (1, H, W) class indices

    Args:
        model: Config path or short name, or a loaded :class:`Config`.
        weights: Checkpoint path.
        device: ``'cpu'``, ``'cuda'``...; default: CUDA when available.
        strict: Refuse a checkpoint that is not the model's (see
            :func:`~mmpoly.engine.check_checkpoint_fits`); False only warns.
        amp: Run the model in mixed precision: True for the device's
            default (bfloat16 on a CPU, float16 on a GPU), or
            ``'bfloat16'`` / ``'float16'``. Predictions stay float32.

    Calling it (:meth:`__call__`) returns ``dict(predictions=...,
    visualization=...)``: per image a dict of task -> ``(C, H, W)`` NumPy
    prediction at the image's size (one dict for one image), and the panels
    when asked for. Arrays are ``uint8`` BGR images in [0, 255], as OpenCV /
    MMCV load them; another dtype (e.g. a float image in [0, 1]) is
    refused, not guessed. Image files are decoded as stored, like the
    training data (an EXIF orientation tag is ignored).
    """

    preprocess_kwargs: set = set()
    forward_kwargs: set = {'tasks'}
    visualize_kwargs: set = {'return_vis', 'show', 'wait_time', 'img_out_dir'}
    postprocess_kwargs: set = {'pred_out_dir'}

    def __init__(self,
                 model: Union[str, Config],
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 strict: bool = True,
                 amp: Union[bool, str] = False) -> None:
        init_default_scope('mmseg')
        install_file_backends()
        self._weights, self._strict = weights, strict
        self._load_line = ''
        cfg = load_config(model)
        seed = (cfg.get('randomness') or {}).get('seed')
        if seed is not None:  # the frozen backbone the Runner builds
            set_random_seed(seed, cfg.randomness.get('deterministic', False),
                            cfg.randomness.get('diff_rank_seed', False))
        with quiet_init_log():  # not every weight's init log
            super().__init__(
                model=cfg,
                weights=weights,
                device=device,
                scope='mmseg',
                show_progress=False)
        if self._load_line:  # logged once the level is back
            MMLogger.get_current_instance().info(self._load_line)
        #: The autocast dtype, or None (float32).
        self.amp_dtype = autocast_dtype(
            next(self.model.parameters()).device,
            None if isinstance(amp, bool) else amp) if amp else None
        dataset = DATASETS.get(cfg.test_dataloader.dataset.type)
        if self.visualizer is not None:  # class names for the legends
            self.visualizer.dataset_meta = dict(
                getattr(dataset, 'METAINFO', {}))

    def _load_weights_to_model(self, model: torch.nn.Module,
                               checkpoint: Optional[dict], cfg) -> None:
        if checkpoint is not None:
            if self._strict:
                refuse_pretrained_file(model, checkpoint, self._weights)
            check_checkpoint_fits(
                model, checkpoint, self._weights, strict=self._strict)
            self._load_line = backbone_load_line(
                model, checkpoint_state_dict(checkpoint), self._weights)
        super()._load_weights_to_model(model, checkpoint, cfg)

    def _init_collate(self, cfg) -> callable:
        return pseudo_collate

    def _init_visualizer(self, cfg):
        # panels are written by the inferencer itself, not by backends
        cfg.visualizer.vis_backends = None
        return super()._init_visualizer(cfg)

    def __call__(self,
                 inputs: Union[InputType, Sequence[InputType]],
                 tasks: Optional[Sequence[str]] = None,
                 return_datasamples: bool = False,
                 batch_size: int = 1,
                 return_vis: bool = False,
                 show: bool = False,
                 wait_time: float = 0,
                 out_dir: str = '') -> dict:
        """Predict ``tasks`` (all by default) on ``inputs``.

        Args:
            inputs: An image path, a folder of images, a BGR array, or a
                list of those.
            tasks: The tasks to predict (a subset of the model's).
            return_datasamples: Return the data samples instead of arrays.
            batch_size: Images per forward pass.
            return_vis: Also return the panels.
            show: Show each panel in a window.
            wait_time: Seconds a shown panel stays.
            out_dir: If set, write ``<out_dir>/pred/<task>/<name>.<ext>`` in
                each task's file format and ``<out_dir>/vis/<name>.png``
                panels. ``<name>`` is the input file's name without its
                extension (``x`` for ``x.jpg``), or with it when two inputs
                of the call share that stem (``x.jpg`` and ``x.png``; see
                :func:`output_names`); arrays are named by their position
                (``00000003``).
        """
        return super().__call__(
            inputs,
            return_datasamples=return_datasamples,
            batch_size=batch_size,
            tasks=tasks,
            return_vis=return_vis,
            show=show,
            wait_time=wait_time,
            img_out_dir=osp.join(out_dir, 'vis') if out_dir else '',
            pred_out_dir=osp.join(out_dir, 'pred') if out_dir else '')

    # ----------------------------------------------------------- inputs
    def _inputs_to_list(self, inputs) -> List[dict]:
        items = super()._inputs_to_list(inputs)
        out = []
        for i, item in enumerate(items):
            if isinstance(item, str):
                out.append(dict(img_path=item))
            elif isinstance(item, np.ndarray):
                check_image_array(item, i)
                out.append(dict(img=item))
            else:
                raise TypeError('inputs must be image paths, folders or '
                                f'arrays, got {type(item).__name__}')
        for item, img_id in zip(out, output_names(items)):
            item['img_id'] = img_id
        return out

    def _init_pipeline(self, cfg) -> callable:
        steps = [
            t for t in cfg.test_dataloader.dataset.pipeline
            if t['type'] not in _LOADERS
        ]
        transforms = Compose(steps)
        from_file = TRANSFORMS.build(
            dict(type='LoadImageFromFile', color_type=as_stored('color')))
        from_array = TRANSFORMS.build(dict(type='LoadImageFromNDArray'))
        tasks = self.model.task_set

        def pipeline(item: dict) -> dict:
            results = dict(item, task_set=tasks)
            load = from_array if 'img' in item else from_file
            return transforms(load(results))

        return pipeline

    # ---------------------------------------------------------- forward
    @torch.no_grad()
    def forward(self, inputs: dict, tasks: Optional[Sequence[str]] = None):
        data = self.model.data_preprocessor(inputs, False)
        with self._autocast():
            return self.model.predict(data['inputs'], data['data_samples'],
                                      tasks)

    def _autocast(self) -> torch.autocast:
        """The model's autocast context (one that changes nothing
        without ``amp``)."""
        return autocast_context(
            next(self.model.parameters()).device,
            self.amp_dtype,
            enabled=self.amp_dtype is not None)

    # ---------------------------------------------------------- outputs
    def visualize(self,
                  inputs: List[dict],
                  preds: list,
                  return_vis: bool = False,
                  show: bool = False,
                  wait_time: float = 0,
                  img_out_dir: str = '') -> Optional[List[np.ndarray]]:
        """Panels of the predictions (the image, then one tile per task)."""
        if not (return_vis or show or img_out_dir):
            return None
        panels = []
        for item, pred in zip(inputs, preds):
            if 'img' in item:
                image = item['img'][..., ::-1]  # BGR array
            else:
                image = mmcv.imread(
                    item['img_path'], as_stored('color'), channel_order='rgb')
            out_file = osp.join(img_out_dir, f'{item["img_id"]}.png') \
                if img_out_dir else None
            panels.append(
                self.visualizer.add_datasample(
                    item['img_id'],
                    image,
                    pred,
                    draw_gt=False,
                    show=show,
                    wait_time=wait_time,
                    out_file=out_file))
        return panels

    def postprocess(self,
                    preds: list,
                    visualization: Optional[List[np.ndarray]] = None,
                    return_datasample: bool = False,
                    pred_out_dir: str = '') -> dict:
        """Each image's predictions as NumPy arrays (and the panels)."""
        arrays: List[Dict[str, np.ndarray]] = []
        for sample in preds:
            out = {}
            for name, task in self.model.task_set.items():
                field = sample.get(task.pred_key)
                if field is None:
                    continue
                out[name] = field.data.cpu().numpy()
                if pred_out_dir:
                    task.write_prediction(
                        out[name], osp.join(pred_out_dir, name, sample.img_id))
            arrays.append(out)
        results: dict = dict(visualization=visualization)
        if return_datasample:
            results['predictions'] = preds if len(preds) > 1 else preds[0]
        else:
            results['predictions'] = arrays if len(arrays) > 1 else arrays[0]
        return results


def check_image_array(img: np.ndarray, index: int) -> None:
    """Refuse an input array that is not a ``uint8`` image.

    A float image in [0, 1] taken for ``uint8`` would be black to the model
    (and a float in [0, 255] of unknown origin is no safer), so any dtype
    other than ``uint8`` is an error that names the input, its dtype and
    value range; nothing is rescaled behind the user's back.

    Raises:
        ValueError: one line naming the input ``index``.
    """
    if img.dtype != np.uint8:
        span = (f'values in [{float(np.min(img)):g}, {float(np.max(img)):g}]'
                if img.size else 'no values')
        raise ValueError(
            f'input array {index}: dtype {img.dtype} with {span}; expected '
            'a uint8 BGR image with values in [0, 255] (for a float image '
            'in [0, 1]: (img * 255).round().astype(np.uint8))')
    if not (img.ndim == 2 or (img.ndim == 3 and img.shape[2] in (1, 3))):
        raise ValueError(f'input array {index}: shape {img.shape}; expected '
                         'a BGR image (H, W, 3) or a grey image (H, W)')


def output_names(items: Sequence[InputType]) -> List[str]:
    """Unique names of the inputs' output files, one per input.

    A file ``dir/x.jpg`` is named ``x``; when several inputs share that
    stem (``x.jpg`` and ``x.png``) each keeps its extension (``x.jpg``,
    ``x.png``), and when even those collide (``a/x.jpg`` and ``b/x.jpg``)
    each gets its position in front (``00000000_x.jpg``). An array is named
    by its position, ``00000003``. No two inputs of a call write the same
    file.
    """
    stems, full = [], []
    for i, item in enumerate(items):
        if isinstance(item, str):
            base = osp.basename(item)
            stems.append(osp.splitext(base)[0])
            full.append(base)
        else:
            stems.append(f'{i:08d}')
            full.append(stems[-1])
    stem_count = Counter(stems)
    names = [s if stem_count[s] == 1 else f for s, f in zip(stems, full)]
    name_count = Counter(names)
    names = [
        n if name_count[n] == 1 else f'{i:08d}_{n}'
        for i, n in enumerate(names)
    ]
    if len(set(names)) < len(names):  # a file named like a prefixed one
        names = [f'{i:08d}_{f}' for i, f in enumerate(full)]
    return names
