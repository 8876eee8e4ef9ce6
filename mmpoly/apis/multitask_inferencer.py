"""Running a trained multi-task model on images, after MMSeg's inferencer."""
import logging
import os.path as osp
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

from ..engine.checkpoint_fit import check_checkpoint_fits
from ..utils.config_loading import load_config

InputType = Union[str, np.ndarray]

#: Transforms of a test pipeline the inferencer replaces (image loading) or
#: drops (ground truth: an arbitrary image has none).
_LOADERS = ('LoadImageFromFile', 'LoadMultiTaskAnnotations')


class MultiTaskInferencer(BaseInferencer):
    """Predictions of a multi-task model on images, folders or arrays.

    Built like MMSeg's ``MMSegInferencer`` from a config (path or short
    name, see :func:`mmpoly.utils.find_config`) and a checkpoint (full or
    adapter-only). The test pipeline of the config prepares the images; the
    model runs only the backbone passes of the tasks asked for.

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

    Calling it (:meth:`__call__`) returns ``dict(predictions=...,
    visualization=...)``: per image a dict of task -> ``(C, H, W)`` NumPy
    prediction at the image's size (one dict for one image), and the panels
    when asked for. Arrays are BGR images, as OpenCV / MMCV load them.
    """

    preprocess_kwargs: set = set()
    forward_kwargs: set = {'tasks'}
    visualize_kwargs: set = {'return_vis', 'show', 'wait_time', 'img_out_dir'}
    postprocess_kwargs: set = {'pred_out_dir'}

    def __init__(self,
                 model: Union[str, Config],
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 strict: bool = True) -> None:
        init_default_scope('mmseg')
        self._weights, self._strict = weights, strict
        cfg = load_config(model)
        seed = (cfg.get('randomness') or {}).get('seed')
        if seed is not None:  # the frozen backbone the Runner builds
            set_random_seed(seed, cfg.randomness.get('deterministic', False),
                            cfg.randomness.get('diff_rank_seed', False))
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel(logging.WARNING)  # not every weight's init log
        try:
            super().__init__(
                model=cfg,
                weights=weights,
                device=device,
                scope='mmseg',
                show_progress=False)
        finally:
            logger.setLevel(level)
        dataset = DATASETS.get(cfg.test_dataloader.dataset.type)
        if self.visualizer is not None:  # class names for the legends
            self.visualizer.dataset_meta = dict(
                getattr(dataset, 'METAINFO', {}))

    def _load_weights_to_model(self, model: torch.nn.Module,
                               checkpoint: Optional[dict], cfg) -> None:
        if checkpoint is not None:
            check_checkpoint_fits(
                model, checkpoint, self._weights, strict=self._strict)
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
                panels.
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
                out.append(
                    dict(
                        img_path=item,
                        img_id=osp.splitext(osp.basename(item))[0]))
            elif isinstance(item, np.ndarray):
                out.append(dict(img=item, img_id=f'{i:08d}'))
            else:
                raise TypeError('inputs must be image paths, folders or '
                                f'arrays, got {type(item).__name__}')
        return out

    def _init_pipeline(self, cfg) -> callable:
        steps = [
            t for t in cfg.test_dataloader.dataset.pipeline
            if t['type'] not in _LOADERS
        ]
        transforms = Compose(steps)
        from_file = TRANSFORMS.build(dict(type='LoadImageFromFile'))
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
        return self.model.predict(data['inputs'], data['data_samples'], tasks)

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
                image = mmcv.imread(item['img_path'], channel_order='rgb')
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
