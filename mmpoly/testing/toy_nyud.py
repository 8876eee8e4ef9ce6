"""A small synthetic NYUD-v2 data set, in either real packaging.

Each image is a ray-cast room seen by a pinhole camera: floor, ceiling,
back and side walls, and one to three pieces of furniture (boxes and round
objects standing on the floor). Everything the labels hold comes from the
same 3-D scene, so the labels are learnable from the pixels and consistent
with each other:

- depth: the z-distance of the first surface along each pixel's ray;
- normals: the surface normals of that geometry (camera frame: x right,
  y up, z towards the camera), i.e. the normals of the depth map;
- shading: Lambertian light from a lamp near the camera, attenuated with
  distance, so the brightness encodes the normals and the depth;
- semantic classes: each NYUD class has its own colour and texture;
- edges: the boundaries between objects and surfaces (the thinned non-zero
  Laplacian of the instance map, as PASCAL-Context's edges are made).

Some depth pixels are missing (0), as with a Kinect, and some label pixels
at object boundaries are void (0).

Used by ``tools/misc/generate_toy_nyud_mt.py``, the toy NYUD configs and the
tests.
"""
import os
import os.path as osp
from typing import Dict, List

import cv2
import mmcv
import numpy as np

from ..datasets.nyud_v2_mt import LAYOUTS
from ..datasets.pascal_formats import label_map_edges
from ..tasks.normals_task import encode_normals
from .output_dir import check_generator_args

#: NYUD labels (1-based, as stored) of the room and of the furniture.
WALL, FLOOR, CEILING = 1, 2, 22
FURNITURE = (3, 4, 5, 6, 7, 10, 14, 17, 29, 33, 35, 39)
_LAMP = np.array([0.6, 0.9, 0.3])


def _colour(label: int) -> np.ndarray:
    hue = (label * 37) % 180
    hsv = np.uint8([[[hue, 140 + (label * 53) % 115, 230]]])
    return mmcv.hsv2bgr(hsv)[0, 0, ::-1].astype(np.float32)


class ToyRoom:
    """Ray-casts one synthetic room with all its label maps."""

    def __init__(self, rng: np.random.Generator, h: int, w: int,
                 furniture: List[int]) -> None:
        f = 0.9 * w
        v, u = np.mgrid[0:h, 0:w].astype(np.float64)
        rays = np.stack([(u -
                          (w - 1) / 2) / f, -(v - (h - 1) / 2) / f, -np.ones(
                              (h, w))], -1)  # z-depth = t
        self.depth = np.full((h, w), np.inf)
        self.normals = np.zeros((h, w, 3))
        self.label = np.zeros((h, w), np.int64)
        self.instance = np.zeros((h, w), np.int64)
        half_width = rng.uniform(1.8, 2.6)
        floor, ceiling = -rng.uniform(1.0, 1.3), rng.uniform(1.3, 1.6)
        back = rng.uniform(4.0, 6.0)
        # the room: (axis, plane coordinate, normal sign, label)
        planes = [(1, floor, 1, FLOOR), (1, ceiling, -1, CEILING),
                  (0, -half_width, 1, WALL), (0, half_width, -1, WALL),
                  (2, -back, 1, WALL)]
        for k, (axis, coord, sign, label) in enumerate(planes, 1):
            d = rays[..., axis]
            with np.errstate(divide='ignore', invalid='ignore'):
                t = np.where(np.abs(d) > 1e-9, coord / d, np.inf)
            n = np.zeros(3)
            n[axis] = sign
            self._hit(t, np.broadcast_to(n, rays.shape), label, k)
        for k, label in enumerate(furniture, len(planes) + 1):
            size = rng.uniform(0.35, 0.8)
            centre = np.array([
                rng.uniform(-half_width + size, half_width - size),
                floor + size, -rng.uniform(2.0, back - size - 0.5)
            ])
            if k % 2:
                t, n = _box(rays, centre - size * np.array([1.2, 1, 0.8]),
                            centre + size * np.array([1.2, 1, 0.8]))
            else:
                t, n = _sphere(rays, centre, size)
            self._hit(t, n, label, k)
        points = rays * self.depth[..., None]
        to_lamp = _LAMP - points
        dist = np.linalg.norm(to_lamp, axis=-1)
        lambert = np.clip((self.normals * to_lamp).sum(-1) / dist, 0, 1)
        shading = (0.25 + 0.75 * lambert) * 3.0 / (1.0 + 0.15 * dist**2)
        albedo = np.zeros((h, w, 3), np.float32)
        stripes = (np.sin(u * 0.9) > 0.6).astype(np.float32)
        for label in np.unique(self.label):
            mask = self.label == label
            tex = 1.0 - 0.2 * stripes[mask] * (label % 2)
            albedo[mask] = _colour(int(label)) * tex[:, None]
        img = albedo * np.clip(shading, 0, 1.3)[..., None]
        img += rng.normal(0, 4, img.shape)
        self.img = np.clip(img, 0, 255).astype(np.uint8)
        self.edge = label_map_edges(self.instance)
        # void labels on some boundary pixels, as in the real annotations
        self.semseg = self.label.copy()
        self.semseg[(self.edge > 0) & (rng.random((h, w)) < 0.3)] = 0
        # missing depth, as a Kinect gives it
        self.depth = self.depth.astype(np.float32)
        for _ in range(int(rng.integers(0, 3))):
            y, x = int(rng.integers(h)), int(rng.integers(w))
            self.depth[y:y + h // 10 + 1, x:x + w // 10 + 1] = 0
        self.normals = self.normals.astype(np.float32)

    def _hit(self, t: np.ndarray, n: np.ndarray, label: int,
             instance: int) -> None:
        closer = (t > 1e-6) & (t < self.depth)
        self.depth[closer] = t[closer]
        self.normals[closer] = n[closer]
        self.label[closer] = label
        self.instance[closer] = instance


def _sphere(rays: np.ndarray, c: np.ndarray, r: float):
    a = (rays * rays).sum(-1)
    b = -2 * (rays @ c)
    disc = b * b - 4 * a * (c @ c - r * r)
    t = np.where(disc >= 0, (-b - np.sqrt(np.maximum(disc, 0))) / (2 * a),
                 np.inf)
    hit = np.isfinite(t)
    n = np.where(hit[..., None], rays * np.where(hit, t, 0)[..., None] - c, 0)
    return t, n / np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-9)


def _box(rays: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    with np.errstate(divide='ignore', invalid='ignore'):
        t1, t2 = lo / rays, hi / rays
    near, far = np.minimum(t1, t2), np.maximum(t1, t2)
    enter, leave = near.max(-1), far.min(-1)
    t = np.where((enter <= leave) & (leave > 0), enter, np.inf)
    axis = near.argmax(-1)
    n = np.zeros(rays.shape)
    sign = -np.sign(np.take_along_axis(rays, axis[..., None], -1))[..., 0]
    np.put_along_axis(n, axis[..., None], sign[..., None], -1)
    return t, n


def generate_toy_nyud_mt(out_dir: str,
                         layout: str = 'nyud_mt',
                         num_train: int = 64,
                         num_val: int = 32,
                         size: int = 128,
                         seed: int = 0,
                         overwrite: bool = False) -> Dict[str, List[str]]:
    """Write a synthetic NYUD-v2 MT data set to ``out_dir``.

    Args:
        out_dir: Root to create.
        layout: ``'nyud_mt'`` or ``'invpt'`` (see
            :data:`mmpoly.datasets.NYUD_LAYOUT`).
        num_train, num_val: Number of images per split.
        size: Image width; the height is 3/4 of it, as in NYUD-v2.
        seed: Random seed (same seed, same files).
        overwrite: Allow writing into a non-empty directory.

    Returns:
        Split name -> image ids.
    """
    if layout not in LAYOUTS:
        raise ValueError(f'layout must be one of {sorted(LAYOUTS)}, got '
                         f'{layout!r}')
    check_generator_args(out_dir, num_train, num_val, size, overwrite)
    rng = np.random.default_rng(seed)
    h, w = int(round(0.75 * size)), size
    ids: Dict[str, List[str]] = {}
    counter = 0
    for split, num in (('train', num_train), ('val', num_val)):
        ids[split] = []
        for _ in range(num):
            counter += 1
            img_id = f'{counter:04d}'
            n = int(rng.integers(1, 4))
            furniture = [
                FURNITURE[(counter * 3 + i) % len(FURNITURE)] for i in range(n)
            ]
            _write(out_dir, layout, img_id, ToyRoom(rng, h, w, furniture))
            ids[split].append(img_id)
        split_file = osp.join(out_dir, 'gt_sets', f'{split}.txt')
        os.makedirs(osp.dirname(split_file), exist_ok=True)
        with open(split_file, 'w') as f:
            f.write('\n'.join(ids[split]) + '\n')
    return ids


def _write(root: str, layout: str, img_id: str, room: ToyRoom) -> None:

    def path(folder: str, suffix: str) -> str:
        os.makedirs(osp.join(root, folder), exist_ok=True)
        return osp.join(root, folder, img_id + suffix)

    suffix = LAYOUTS[layout]
    jpeg = [cv2.IMWRITE_JPEG_QUALITY, 95] if suffix['image'] == '.jpg' \
        else None
    mmcv.imwrite(
        room.img[..., ::-1], path('images', suffix['image']), params=jpeg)
    mmcv.imwrite(room.semseg.astype(np.uint8), path('segmentation', '.png'))
    np.save(path('depth', '.npy'), room.depth)
    if suffix['normals'] == '.npy':
        np.save(path('normals', '.npy'), room.normals)
        np.save(path('edge', '.npy'), room.edge.astype(np.float32))
    else:
        mmcv.imwrite(
            encode_normals(room.normals)[..., ::-1], path('normals', '.png'))
        mmcv.imwrite(room.edge * 255, path('edge', '.png'))
