"""Predict every task (or some) on an image or a folder and draw panels.

Example:
    python demo/image_demo.py demo.jpg configs/polyhistor_swin-t.py \
        work_dirs/polyhistor_swin-t/iter_40000.pth --out-file panel.png
    python demo/image_demo.py demo.jpg polyhistor_swin-mini_toy-pascal \
        work_dirs/demo/polyhistor_swin-mini_toy-pascal/iter_400.pth \
        --tasks semseg normals --device cpu
    python demo/image_demo.py photos/ polyhistor_swin-mini_toy-pascal \
        CHECKPOINT --out-dir panels/      # every image of the folder
"""
import argparse
import os
import os.path as osp
from typing import List

import cv2
import mmcv

from mmpoly.utils.cli import run_tool
from mmpoly.utils.tool_args import add_debug_arg

#: The image files a folder's images are recognised by (what OpenCV
#: reads).
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.jpe', '.png', '.bmp', '.dib', '.tif',
                    '.tiff', '.webp', '.ppm', '.pgm', '.pbm', '.pnm')

#: How the errors name the image files (the common ones).
IMAGE_KINDS = '.jpg, .png, .bmp, .tif, .webp, ...'

#: Panel formats named in the error on an --out-file OpenCV cannot write.
PANEL_EXTENSIONS = '.png, .jpg, .bmp, .tif or .webp'


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('img', help='image file, or a folder of images')
    parser.add_argument('config', help='config file (or its short name)')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--tasks', nargs='+', help='tasks to predict (default: all)')
    parser.add_argument(
        '--out-file',
        default='panel.png',
        help='where the panel of an image goes (.png, .jpg, ...)')
    parser.add_argument(
        '--out-dir',
        default='panels',
        help='where the panels of a folder go, <out-dir>/<image name>.png')
    parser.add_argument(
        '--device', default=None, help='cpu or cuda (default: cuda if any)')
    add_debug_arg(parser)
    return parser.parse_args()


def check_out_file(path: str) -> None:
    """Refuse an ``--out-file`` OpenCV cannot write, before inference.

    Raises:
        ValueError: naming the file and the formats that can be written.
    """
    if osp.isdir(path):
        raise ValueError(f'--out-file {path} is a folder; give a file name '
                         f'such as {osp.join(path, "panel.png")}')
    ext = osp.splitext(path)[1]
    if not ext:
        raise ValueError(f'--out-file {path} has no extension; OpenCV '
                         f'picks the format by it: {PANEL_EXTENSIONS}')
    if not cv2.haveImageWriter(path):
        raise ValueError(f'--out-file {path}: OpenCV cannot write {ext!r} '
                         f'images; use {PANEL_EXTENSIONS}')


def folder_images(folder: str) -> List[str]:
    """The images of ``folder`` (not its subfolders), sorted by name.

    Raises:
        FileNotFoundError: if the folder is empty or holds no image.
    """
    names = sorted(os.listdir(folder))
    files = [n for n in names if osp.isfile(osp.join(folder, n))]
    images = [
        n for n in files if osp.splitext(n)[1].lower() in IMAGE_EXTENSIONS
    ]
    if not names:
        raise FileNotFoundError(f'folder {folder} is empty; expected image '
                                f'files ({IMAGE_KINDS})')
    if not images:
        shown = ', '.join(names[:3]) + (', ...' if len(names) > 3 else '')
        raise FileNotFoundError(
            f'folder {folder} holds no image, only {shown}; expected image '
            f'files ({IMAGE_KINDS})')
    others = len(files) - len(images)
    if others:
        print(f'{folder}: {len(images)} images; {others} other files left '
              'out')
    return [osp.join(folder, n) for n in images]


def main():
    args = parse_args()
    if not osp.exists(args.img):
        raise FileNotFoundError(f'{args.img} not found (an image or a '
                                'folder of images expected)')
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} not found')
    if osp.isdir(args.img):
        images = folder_images(args.img)
    else:
        images = [args.img]
        check_out_file(args.out_file)

    from mmpoly.apis import MultiTaskInferencer
    from mmpoly.apis.multitask_inferencer import output_names
    inferencer = MultiTaskInferencer(
        args.config, args.checkpoint, device=args.device)
    if osp.isdir(args.img):
        targets = [
            osp.join(args.out_dir, f'{name}.png')
            for name in output_names(images)
        ]
    else:
        targets = [args.out_file]
    for image, target in zip(images, targets):
        result = inferencer(image, tasks=args.tasks, return_vis=True)
        mmcv.imwrite(result['visualization'][0][..., ::-1], target)
        shapes = ', '.join(f'{t} {tuple(p.shape)}'
                           for t, p in result['predictions'].items())
        print(f'{image}: predicted {shapes}; panel written to {target}')


if __name__ == '__main__':
    run_tool(main)
