"""Argument checks shared by the toy data set generators."""
import os
import os.path as osp


def check_generator_args(out_dir: str, num_train: int, num_val: int,
                         size: int, overwrite: bool) -> None:
    """Raise on split sizes or an image size that make no data set, and on
    a non-empty ``out_dir`` unless ``overwrite``."""
    if num_train < 1 or num_val < 1:
        raise ValueError('each split needs at least one image')
    if size < 32:
        raise ValueError(f'size must be at least 32, got {size}')
    if osp.isdir(out_dir) and os.listdir(out_dir) and not overwrite:
        raise FileExistsError(
            f'{out_dir} is not empty; pass overwrite=True (--overwrite)')
