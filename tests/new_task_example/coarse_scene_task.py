"""A task class of your own: segmentation labels stored as colour PNGs."""
from typing import Optional, Sequence, Tuple

import numpy as np

from mmpoly.registry import TASKS
from mmpoly.tasks import DataFormatError, SegmentationTask
from mmpoly.tasks.label_io import read_image, write_png


@TASKS.register_module()
class ColourCodedSegmentationTask(SegmentationTask):
    """Segmentation whose label files are RGB PNGs, one colour per class.

    Everything else (head, loss, metrics) is SegmentationTask's; this class
    only reads and writes its own file format.

    Args:
        name: Task name.
        palette: RGB colour of each class, in label order.
        ignore_colour: RGB colour of unlabelled pixels.
        **kwargs: SegmentationTask arguments (num_classes comes from the
            palette).
    """

    def __init__(self,
                 name: str,
                 palette: Sequence[Tuple[int, int, int]],
                 ignore_colour: Tuple[int, int, int] = (255, 255, 255),
                 **kwargs) -> None:
        super().__init__(name, num_classes=len(palette), **kwargs)
        self.palette = np.asarray(palette, dtype=np.uint8)
        self.ignore_colour = np.asarray(ignore_colour, dtype=np.uint8)

    def read_gt(self,
                path: str,
                backend_args: Optional[dict] = None) -> np.ndarray:
        rgb = read_image(path, 'color', backend_args).astype(np.int64)
        code = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
        colours = np.concatenate([self.palette, self.ignore_colour[None]])
        keys = (colours[:, 0].astype(np.int64) << 16) | (
            colours[:, 1].astype(np.int64) << 8) | colours[:, 2]
        labels = list(range(self.num_classes)) + [self.ignore_index]
        out = np.full(code.shape, -1, dtype=np.int64)
        for key, label in zip(keys, labels):
            out[code == key] = label
        if (out < 0).any():
            bad = np.unique(code[out < 0])[:5]
            raise DataFormatError(
                f'{path}: colours {[f"#{c:06x}" for c in bad]} are not in '
                f'the palette of task {self.name!r}')
        return out.astype(self.gt_dtype)

    def write_prediction(self, pred: np.ndarray, path_stem: str) -> str:
        return write_png(self.palette[pred[0]], path_stem + '.png')
