"""A small synthetic data set in the exact PASCAL-Context MT layout.

Each image shows a background surface (wall, floor, sky or grass) and one to
three objects. The labels are learnable from the pixels:

- semantic class: each of the 20 VOC classes has its own colour and shape;
- human parts: 'person' objects are drawn as figures whose head, torso,
  arms and legs have different shades; their PASCAL-Part ``anno`` struct
  lists the parts;
- saliency: objects are salient, the background is not;
- normals: objects are shaded bumps and the background a tilted plane, lit
  by a fixed light, so the shading encodes the normal; normals are stored
  as ``normals_distill`` PNGs and kept by the loader only on the classes
  that are normals-valid (as in the real data).

Used by ``tools/misc/generate_toy_pascal_mt.py``, the toy configs and the
tests.
"""
import os
import os.path as osp
from typing import Dict, List, Tuple

import cv2
import mmcv
import numpy as np

from ..tasks.normals_task import encode_normals
from .output_dir import check_generator_args

#: 459-class LabelMap id of each VOC class (index = VOC label).
VOC_TO_CONTEXT = (0, 2, 23, 25, 31, 34, 45, 59, 65, 72, 98, 397, 113, 207, 258,
                  284, 308, 347, 368, 416, 427)
#: Background surfaces: (LabelMap id, RGB albedo, plane normal).
BACKGROUNDS = (
    (440, (200, 190, 170), (0.0, 0.0, 1.0)),  # wall (normals-valid)
    (158, (140, 110, 80), (0.0, 0.8, 0.6)),  # floor (normals-valid)
    (360, (120, 170, 230), (0.0, -0.6, 0.8)),  # sky (not normals-valid)
    (187, (60, 140, 50), (0.0, 0.9, 0.44)),  # grass (not normals-valid)
)
PERSON = 15
#: Part name -> (shade multiplier) of the figure drawing.
_PART_SHADE = {
    'head': 1.25,
    'torso': 1.0,
    'luarm': 0.8,
    'ruarm': 0.8,
    'llarm': 0.6,
    'rlarm': 0.6,
    'luleg': 0.9,
    'ruleg': 0.9,
    'llleg': 0.7,
    'rlleg': 0.7
}
_LIGHT = np.array([0.3, 0.4, 0.866])


def _class_colour(cls: int) -> np.ndarray:
    hue = ((cls - 1) * 9) % 180  # 20 classes spread over the hue circle
    hsv = np.uint8([[[hue, 255 if cls % 2 else 170, 230]]])
    return mmcv.hsv2bgr(hsv)[0, 0, ::-1].astype(np.float32)


def _bump_normals(h: int, w: int, cy: float, cx: float, ry: float,
                  rx: float) -> Tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = (xx - cx) / rx, (yy - cy) / ry
    r2 = u * u + v * v
    mask = r2 <= 1.0
    n = np.stack([u, -v, np.sqrt(np.clip(1.0 - r2, 0, 1)) + 0.3], axis=-1)
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    return mask, n


def _figure_parts(h: int, w: int, cy: float, cx: float,
                  size: float) -> Dict[str, np.ndarray]:
    """Masks of a stick figure's parts, centred at (cy, cx)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    s = size

    def box(y0, y1, x0, x1):
        return ((yy >= cy + y0 * s) & (yy < cy + y1 * s) & (xx >= cx + x0 * s)
                & (xx < cx + x1 * s))

    head = (yy - (cy - 0.75 * s))**2 + (xx - cx)**2 <= (0.2 * s)**2
    return {
        'head': head,
        'torso': box(-0.55, 0.1, -0.2, 0.2),
        'luarm': box(-0.55, -0.2, -0.4, -0.2),
        'ruarm': box(-0.55, -0.2, 0.2, 0.4),
        'llarm': box(-0.2, 0.15, -0.4, -0.2),
        'rlarm': box(-0.2, 0.15, 0.2, 0.4),
        'luleg': box(0.1, 0.45, -0.2, -0.02),
        'ruleg': box(0.1, 0.45, 0.02, 0.2),
        'llleg': box(0.45, 0.85, -0.2, -0.02),
        'rlleg': box(0.45, 0.85, 0.02, 0.2),
    }


def mat_struct(rows: List[dict], fields: Tuple[str, ...]) -> np.ndarray:
    """A ``(1, N)`` MATLAB struct array, as ``scipy.io.savemat`` writes
    it, of ``rows`` (dicts with ``fields``)."""
    if not rows:
        return np.zeros((0, 0))
    arr = np.empty((1, len(rows)), dtype=[(f, 'O') for f in fields])
    for i, row in enumerate(rows):
        for f in fields:
            arr[0, i][f] = row[f]
    return arr


class ToyPascalSample:
    """Draws one synthetic image with all its label maps."""

    def __init__(self, rng: np.random.Generator, size: int,
                 classes: List[int]) -> None:
        h = int(rng.integers(int(0.75 * size), size + 1))
        w = int(rng.integers(int(0.75 * size), size + 1))
        self.h, self.w = h, w
        bg_id, albedo, bg_n = BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))]
        bg_n = np.asarray(bg_n, np.float32)
        bg_n /= np.linalg.norm(bg_n)
        self.label_map = np.full((h, w), bg_id, np.uint16)
        self.semseg = np.zeros((h, w), np.uint8)
        self.sal = np.zeros((h, w), np.uint8)
        self.normals = np.broadcast_to(bg_n, (h, w, 3)).copy()
        albedo_map = np.broadcast_to(
            np.asarray(albedo, np.float32), (h, w, 3)).copy()
        self.objects: List[dict] = []

        for cls in classes:
            size_obj = rng.uniform(0.35, 0.6) * min(h, w)
            cy = rng.uniform(0.3, 0.7) * h
            cx = rng.uniform(0.25, 0.75) * w
            colour = _class_colour(cls)
            if cls == PERSON:
                parts = _figure_parts(h, w, cy, cx, size_obj)
                mask = np.any(np.stack(list(parts.values())), axis=0)
                _, n = _bump_normals(h, w, cy, cx, size_obj, 0.4 * size_obj)
                for name, pmask in parts.items():
                    albedo_map[pmask] = colour * _PART_SHADE[name]
                annotated = bool(rng.random() > 0.1)
                part_rows = [
                    dict(part_name=name, mask=pm.astype(np.uint8))
                    for name, pm in parts.items() if pm.any()
                ] if annotated else []
            else:
                ry = size_obj * rng.uniform(0.35, 0.5)
                rx = size_obj * rng.uniform(0.35, 0.5) * (1 + 0.5 * (cls % 3))
                mask, n = _bump_normals(h, w, cy, cx, ry, min(rx, 0.45 * w))
                # class-specific stripes make classes of similar hue differ
                yy = np.arange(h)[:, None]
                stripes = ((yy // (2 + cls % 4)) % 2).astype(np.float32)
                tex = 1.0 - 0.25 * stripes[..., None] * (cls % 2)
                tex = np.broadcast_to(tex, (h, w, 1))
                albedo_map[mask] = colour * tex[mask]
                part_rows = []
            if not mask.any():
                continue
            self.label_map[mask] = VOC_TO_CONTEXT[cls]
            self.semseg[mask] = cls
            self.sal[mask] = 1
            self.normals[mask] = n[mask]
            self.objects.append(
                dict(
                    **{'class': 'person' if cls == PERSON else f'voc{cls}'},
                    class_ind=np.array([[cls]], np.uint8),
                    mask=mask.astype(np.uint8),
                    parts=mat_struct(part_rows, ('part_name', 'mask'))))

        # thin ignore borders around objects, as in VOC annotations
        fg = self.semseg > 0
        edge = _edges(fg)
        self.semseg_png = self.semseg.copy()
        self.semseg_png[edge & (rng.random((h, w)) < 0.5)] = 255  # ignore

        shading = 0.45 + 0.55 * np.clip(self.normals @ _LIGHT, 0, 1)
        img = albedo_map * shading[..., None]
        img += rng.normal(0, 6, img.shape)
        self.img = np.clip(img, 0, 255).astype(np.uint8)

    def human_parts_struct(self, img_id: str) -> np.ndarray:
        anno = np.empty((1, 1), dtype=[('imname', 'O'), ('objects', 'O')])
        anno[0, 0]['imname'] = img_id
        anno[0, 0]['objects'] = mat_struct(
            self.objects, ('class', 'class_ind', 'mask', 'parts'))
        return anno


def _edges(fg: np.ndarray) -> np.ndarray:
    pad = np.pad(fg, 1, mode='edge')
    diff = np.zeros_like(fg, dtype=bool)
    for dy, dx in ((0, 1), (1, 0), (1, 2), (2, 1)):
        diff |= pad[dy:dy + fg.shape[0], dx:dx + fg.shape[1]] != fg
    return diff


def generate_toy_pascal_mt(out_dir: str,
                           num_train: int = 64,
                           num_val: int = 32,
                           size: int = 96,
                           seed: int = 0,
                           overwrite: bool = False) -> Dict[str, List[str]]:
    """Write a synthetic PASCAL-Context MT data set to ``out_dir``.

    Args:
        out_dir: Root to create (the ``PASCAL_MT`` layout).
        num_train, num_val: Number of images per split.
        size: Largest image side; sides vary in ``[0.75 size, size]``.
        seed: Random seed (same seed, same files).
        overwrite: Allow writing into a non-empty directory.

    Returns:
        Split name -> image ids.
    """
    from scipy.io import savemat
    check_generator_args(out_dir, num_train, num_val, size, overwrite)
    rng = np.random.default_rng(seed)
    splits = {'train': num_train, 'val': num_val}
    ids: Dict[str, List[str]] = {}
    counter = 0
    for split, num in splits.items():
        ids[split] = []
        for k in range(num):
            img_id = f'{2008 + counter // 100000}_{counter % 100000:06d}'
            counter += 1
            # cycle through the 20 classes so every split sees all of them
            first = 1 + (k * 2) % 20
            classes = [first]
            if rng.random() < 0.7:
                classes.append(1 + (k * 2 + 1) % 20)
            if rng.random() < 0.3:
                classes.append(PERSON)
            sample = ToyPascalSample(rng, size, classes)
            _write_sample(out_dir, img_id, sample, counter % 5 == 0, savemat)
            ids[split].append(img_id)
        split_file = osp.join(out_dir, 'ImageSets', 'Context', f'{split}.txt')
        os.makedirs(osp.dirname(split_file), exist_ok=True)
        with open(split_file, 'w') as f:
            f.write('\n'.join(ids[split]) + '\n')
    return ids


def _write_sample(root: str, img_id: str, s: ToyPascalSample,
                  context_semseg: bool, savemat) -> None:

    def path(*parts):
        p = osp.join(root, *parts)
        os.makedirs(osp.dirname(p), exist_ok=True)
        return p

    mmcv.imwrite(
        s.img[..., ::-1],
        path('JPEGImages', img_id + '.jpg'),
        params=[cv2.IMWRITE_JPEG_QUALITY, 95])
    sem_dir = 'pascal-context' if context_semseg else 'VOC12'
    mmcv.imwrite(s.semseg_png, path('semseg', sem_dir, img_id + '.png'))
    mmcv.imwrite(s.sal * 255, path('sal_distill', img_id + '.png'))
    mmcv.imwrite(
        encode_normals(s.normals)[..., ::-1],
        path('normals_distill', img_id + '.png'))
    savemat(
        path('pascal-context', 'trainval', img_id + '.mat'),
        {'LabelMap': s.label_map})
    savemat(
        path('human_parts', img_id + '.mat'),
        {'anno': s.human_parts_struct(img_id)})
