"""Drawing a multi-task sample as one panel of pictures."""
import math
import os
import os.path as osp
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import cv2
import mmcv
import numpy as np
from mmengine.visualization import Visualizer
from mmseg.registry import VISUALIZERS

from ..tasks import BaseTask, TaskSet, build_tasks

#: Box of a tile in a panel: (x0, y0, x1, y1), pixels.
Box = Tuple[int, int, int, int]

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_TITLE_H, _LINE_H, _SWATCH, _GAP = 22, 18, 12, 6
_WHITE, _BLACK = (255, 255, 255), (0, 0, 0)


@VISUALIZERS.register_module()
class MultiTaskLocalVisualizer(Visualizer):
    """Draws a multi-task sample as one panel: the image, then one tile per
    task, each drawn by its task (:meth:`mmpoly.tasks.BaseTask.visualize`):
    segmentation tasks as a palette overlay with a legend of the classes
    present, saliency as a heat map, normals in their RGB encoding, depth as
    a colour map with its scale, edges as lines over the image.

    With ground truth and prediction, the panel has two rows, ground truth
    above prediction. Small images are enlarged (whole factors, nearest
    neighbour) so that tiles are at least ``min_tile_height`` pixels high.

    Args:
        name: The visualizer's instance name.
        tasks: The config's ``tasks`` (``tools/train.py`` / ``test.py`` fill
            it in) or a :class:`~mmpoly.tasks.TaskSet`; may also be set
            later as :attr:`tasks`.
        min_tile_height: Smallest height of a drawn tile, pixels.
        vis_backends, save_dir, **kwargs: See
            :class:`mmengine.visualization.Visualizer`.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 tasks: Optional[Union[TaskSet, Mapping]] = None,
                 min_tile_height: int = 256,
                 vis_backends: Optional[List[dict]] = None,
                 save_dir: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(
            name=name, vis_backends=vis_backends, save_dir=save_dir, **kwargs)
        self.tasks = None if tasks is None else build_tasks(tasks)
        self.min_tile_height = int(min_tile_height)
        #: Where the last panel put each tile: (row, task) -> box; row is
        #: 'gt' or 'pred', the image tile's task is 'image'.
        self.last_layout: Dict[Tuple[str, str], Box] = {}

    # -------------------------------------------------------------- panel
    def draw_panel(self,
                   image: np.ndarray,
                   data_sample,
                   draw_gt: bool = True,
                   draw_pred: bool = True,
                   tasks: Optional[Sequence[str]] = None) -> np.ndarray:
        """The panel of ``data_sample`` drawn over ``image``.

        Args:
            image: ``(H, W, 3)`` uint8 RGB image, at the size of the sample's
                maps (the original image size).
            data_sample: A :class:`~mmpoly.structures.MultiTaskDataSample`
                (or its dict) with ``gt_<task>`` and / or ``pred_<task>``.
            draw_gt, draw_pred: Which rows to draw (when present).
            tasks: The tasks to draw; default: all that have a map.

        Returns:
            ``(H', W', 3)`` uint8 RGB panel.
        """
        if self.tasks is None:
            raise ValueError('MultiTaskLocalVisualizer needs its tasks '
                             '(visualizer.tasks) to draw a sample')
        image = np.ascontiguousarray(image[..., :3], dtype=np.uint8)
        names = list(self.tasks) if tasks is None else list(tasks)
        rows: List[Tuple[str, List[Tuple[str, np.ndarray, list]]]] = []
        for row, prefix, wanted in (('gt', 'gt_', draw_gt), ('pred', 'pred_',
                                                             draw_pred)):
            cells = []
            for name in names:
                field = _get(data_sample, prefix + name)
                if not wanted or field is None:
                    continue
                task: BaseTask = self.tasks[name]
                tile, legend = task.visualize(field, image, self.dataset_meta)
                label = 'ground truth' if row == 'gt' else 'prediction'
                cells.append((f'{name}: {label}', tile, legend))
            if cells:
                rows.append((row, [('image', image, [])] + cells))
        if not rows:
            raise ValueError('nothing to draw: the sample has no gt_<task> '
                             f'or pred_<task> of the tasks {names}')
        scale = max(1, math.ceil(self.min_tile_height / image.shape[0]))
        return self._compose(rows, scale)

    def _compose(self, rows, scale: int) -> np.ndarray:
        self.last_layout = {}
        drawn_rows = []
        y = 0
        for row, cells in rows:
            drawn = [
                self._cell(t, tile, legend, scale) for t, tile, legend in cells
            ]
            height = max(c.shape[0] for c in drawn)
            x = 0
            for (title, _, _), cell in zip(cells, drawn):
                task = 'image' if title == 'image' else title.split(':')[0]
                h, w = cells[0][1].shape[0] * scale, cell.shape[1]
                self.last_layout[(row, task)] = (x, y + _TITLE_H, x + w,
                                                 y + _TITLE_H + h)
                x += w + _GAP
            drawn = [_pad(c, height, c.shape[1]) for c in drawn]
            line = np.full((height, x - _GAP, 3), 255, np.uint8)
            x = 0
            for cell in drawn:
                line[:, x:x + cell.shape[1]] = cell
                x += cell.shape[1] + _GAP
            drawn_rows.append(line)
            y += height + _GAP
        width = max(r.shape[1] for r in drawn_rows)
        panel = np.full((y - _GAP, width, 3), 255, np.uint8)
        y = 0
        for line in drawn_rows:
            panel[y:y + line.shape[0], :line.shape[1]] = line
            y += line.shape[0] + _GAP
        return panel

    @staticmethod
    def _cell(title: str, tile: np.ndarray, legend: list,
              scale: int) -> np.ndarray:
        h, w = tile.shape[:2]
        big = cv2.resize(
            tile, (w * scale, h * scale), interpolation=cv2.INTER_NEAREST)
        width = big.shape[1]
        lines = _legend_lines(legend, width)
        cell = np.full((_TITLE_H + big.shape[0] + len(lines) * _LINE_H +
                        (_GAP if lines else 0), width, 3), 255, np.uint8)
        cv2.putText(cell, title, (4, _TITLE_H - 7), _FONT, 0.45, _BLACK, 1,
                    cv2.LINE_AA)
        cell[_TITLE_H:_TITLE_H + big.shape[0]] = big
        y = _TITLE_H + big.shape[0] + 3
        for entries in lines:
            x = 4
            for label, colour, text_w in entries:
                cv2.rectangle(cell, (x, y + 3), (x + _SWATCH, y + 3 + _SWATCH),
                              tuple(int(c) for c in colour), -1)
                cv2.rectangle(cell, (x, y + 3), (x + _SWATCH, y + 3 + _SWATCH),
                              _BLACK, 1)
                cv2.putText(cell, label, (x + _SWATCH + 4, y + _SWATCH + 2),
                            _FONT, 0.4, _BLACK, 1, cv2.LINE_AA)
                x += _SWATCH + 10 + text_w
            y += _LINE_H
        return cell

    # ------------------------------------------------------ MMEngine API
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample=None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       step: int = 0) -> np.ndarray:
        """Draw the panel of ``data_sample``; show it, write it to
        ``out_file``, or else send it to the visualizer's backends (local
        files, TensorBoard...).

        Returns:
            The panel, ``(H', W', 3)`` uint8 RGB.
        """
        panel = self.draw_panel(image, data_sample, draw_gt, draw_pred)
        if show:
            self.show(panel, win_name=name, wait_time=wait_time)
        if out_file is not None:
            os.makedirs(osp.dirname(out_file) or '.', exist_ok=True)
            mmcv.imwrite(panel[..., ::-1], out_file)
        else:
            self.add_image(name, panel, step)
        return panel


def _get(sample, key: str):
    """``sample[key].data`` for a data sample or its dict, else None."""
    field = sample.get(key) if hasattr(sample, 'get') else None
    if field is None:
        return None
    return field['data'] if isinstance(field, dict) else field.data


def _legend_lines(legend: list, width: int) -> List[list]:
    lines, line, x = [], [], 4
    for label, colour in legend:
        text_w = cv2.getTextSize(label, _FONT, 0.4, 1)[0][0]
        need = _SWATCH + 10 + text_w
        if line and x + need > width:
            lines.append(line)
            line, x = [], 4
        line.append((label, colour, text_w))
        x += need
    if line:
        lines.append(line)
    return lines


def _pad(cell: np.ndarray, height: int, width: int) -> np.ndarray:
    out = np.full((height, width, 3), 255, np.uint8)
    out[:cell.shape[0], :cell.shape[1]] = cell
    return out
