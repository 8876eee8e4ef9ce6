"""Drawing validation and test samples as multi-task panels."""
import os.path as osp
from typing import Optional, Sequence

import mmcv
from mmengine import fileio
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmseg.registry import HOOKS


@HOOKS.register_module()
class MultiTaskVisualizationHook(Hook):
    """Draws samples of the validation and test loops as panels (see
    :class:`~mmpoly.visualization.MultiTaskLocalVisualizer`), ground truth
    above prediction, like MMSeg's ``SegVisualizationHook``.

    - Validation: the samples of batches 0, ``interval``, 2 ``interval``...
      go to the
      visualizer's backends (``<work_dir>/<timestamp>/vis_data/vis_image``
      with ``LocalVisBackend``, TensorBoard with
      ``TensorboardVisBackend``), at the training iteration.
    - Test: with ``show_dir``, one panel per image,
      ``<show_dir>/<img_id>.png`` (``tools/test.py --show-dir``); otherwise
      as in validation.

    Args:
        draw: Draw at all.
        interval: Draw the samples of every ``interval``-th batch, from the
            first.
        show_dir: Test loop: write a panel per image to this folder.
        show: Show panels in a window instead of storing them.
        wait_time: Seconds a shown panel stays.
        backend_args: File backend arguments for reading the images.
    """

    priority = 'NORMAL'

    def __init__(self,
                 draw: bool = True,
                 interval: int = 50,
                 show_dir: Optional[str] = None,
                 show: bool = False,
                 wait_time: float = 0.,
                 backend_args: Optional[dict] = None) -> None:
        if interval < 1:
            raise ValueError(f'interval must be at least 1, got {interval}')
        self.draw = draw
        self.interval = interval
        self.show_dir = show_dir
        self.show = show
        self.wait_time = wait_time
        self.backend_args = backend_args

    def _image(self, sample):
        data = fileio.get(sample.img_path, backend_args=self.backend_args)
        return mmcv.imfrombytes(  # as stored, like the labels (no EXIF)
            data, flag='color_ignore_orientation', channel_order='rgb')

    def after_val_iter(self, runner: Runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence) -> None:
        if not self.draw or batch_idx % self.interval:
            return
        for sample in outputs:
            self._draw(runner, f'val_{osp.basename(sample.img_path)}',
                       sample, runner.iter)

    def after_test_iter(self, runner: Runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence) -> None:
        if not self.draw:
            return
        if self.show_dir is None and batch_idx % self.interval:
            return
        for sample in outputs:
            name = sample.get('img_id') or osp.splitext(
                osp.basename(sample.img_path))[0]
            out_file = None if self.show_dir is None else osp.join(
                self.show_dir, f'{name}.png')
            self._draw(runner, f'test_{name}', sample, batch_idx, out_file)

    def _draw(self,
              runner: Runner,
              name: str,
              sample,
              step: int,
              out_file: Optional[str] = None) -> None:
        # the runner's own visualizer, not MMEngine's most recently built
        # instance: that one may belong to another runner or tool in the
        # same process (a plain Visualizer that draws no tasks)
        runner.visualizer.add_datasample(
            name,
            self._image(sample),
            data_sample=sample,
            show=self.show,
            wait_time=self.wait_time,
            out_file=out_file,
            step=step)
