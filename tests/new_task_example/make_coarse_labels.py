"""Write coarse scene labels for a PASCAL_MT folder, as colour PNGs.

Groups the 21 VOC classes of semseg/ into background, person, animal,
vehicle and indoor, and writes <data_root>/coarse_scene/<id>.png in the
palette of mtft-coarse_swin-mini_toy-pascal.py (white = unlabelled).

Example:
    python tests/new_task_example/make_coarse_labels.py data/toy_pascal_mt
"""
import argparse
import glob
import os
import os.path as osp

import mmcv
import numpy as np

PALETTE = np.array([(0, 0, 0), (220, 60, 60), (60, 180, 60), (60, 60, 220),
                    (200, 200, 40), (255, 255, 255)], np.uint8)
# VOC class -> coarse class: 0 background, 1 person, 2 animal, 3 vehicle,
# 4 indoor; 255 (ignore) -> 5 (white)
COARSE = np.full(256, 5, np.uint8)
COARSE[:21] = [0, 3, 3, 2, 3, 4, 3, 3, 2, 4, 2, 4, 2, 2, 3, 1, 4, 2, 4, 3, 4]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root')
    root = parser.parse_args().data_root
    out_dir = osp.join(root, 'coarse_scene')
    os.makedirs(out_dir, exist_ok=True)
    paths = sorted(glob.glob(osp.join(root, 'semseg', '*', '*.png')))
    for path in paths:
        voc = mmcv.imread(path, flag='unchanged')
        rgb = PALETTE[COARSE[voc]]
        mmcv.imwrite(rgb[..., ::-1], osp.join(out_dir, osp.basename(path)))
    print(f'wrote {len(paths)} coarse label maps to {out_dir}')


if __name__ == '__main__':
    main()
