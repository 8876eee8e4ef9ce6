"""Panels drawn from known predictions: sizes, colours, tiles, legends."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmpoly.structures import MultiTaskDataSample
from mmpoly.tasks.drawing import label_palette
from mmpoly.tasks.edge_task import EDGE_COLOUR
from mmpoly.visualization import MultiTaskLocalVisualizer

H, W = 32, 40
TASKS = dict(
    semseg=dict(type='SegmentationTask', num_classes=21),
    sal=dict(type='BinaryTask'),
    normals=dict(type='NormalsTask'),
    depth=dict(type='DepthTask'),
    edge=dict(type='EdgeTask'))


def _sample(with_gt=True):
    s = MultiTaskDataSample()
    sem = torch.zeros(1, H, W, dtype=torch.long)
    sem[:, :, 20:] = 15  # person on the right half
    sem[:, 0, 0] = 255  # one unlabelled pixel
    normals = torch.zeros(3, H, W)
    normals[2, :16] = 1.0  # facing the camera on the top half
    depth = torch.linspace(1.0, 4.0, W).repeat(1, H, 1)
    depth[:, :4, :4] = 0  # invalid corner
    edge = torch.zeros(1, H, W)
    edge[:, 10, :] = 1.0
    maps = dict(
        semseg=sem,
        sal=torch.full((1, H, W), 0.75),
        normals=normals,
        depth=depth,
        edge=edge)
    for task, data in maps.items():
        s.set_field(PixelData(data=data), f'pred_{task}')
        if with_gt:
            s.set_field(PixelData(data=data.clone()), f'gt_{task}')
    return s


@pytest.fixture
def vis():
    v = MultiTaskLocalVisualizer(
        name=f'vis_{np.random.randint(1 << 30)}',
        tasks=TASKS,
        min_tile_height=64)
    v.dataset_meta = dict(semseg_classes=[f'c{i}' for i in range(21)])
    return v


def _tile(vis, panel, row, task):
    x0, y0, x1, y1 = vis.last_layout[(row, task)]
    return panel[y0:y1, x0:x1]


def test_panel_layout_and_size(vis):
    image = np.full((H, W, 3), 100, np.uint8)
    panel = vis.draw_panel(image, _sample())
    assert panel.dtype == np.uint8 and panel.ndim == 3
    # 2 rows (ground truth, prediction) x (image + 5 tasks)
    assert set(vis.last_layout) == {(r, t)
                                    for r in ('gt', 'pred')
                                    for t in ['image', *TASKS]}
    for box in vis.last_layout.values():
        x0, y0, x1, y1 = box
        assert (x1 - x0, y1 - y0) == (W * 2, H * 2)  # enlarged 2x to >= 64
        assert x1 <= panel.shape[1] and y1 <= panel.shape[0]
    np.testing.assert_array_equal(_tile(vis, panel, 'gt', 'image'), 100)
    only_pred = vis.draw_panel(image, _sample(), draw_gt=False)
    assert set(r for r, _ in vis.last_layout) == {'pred'}
    assert only_pred.shape[0] < panel.shape[0]


def test_tile_colours(vis):
    image = np.zeros((H, W, 3), np.uint8)  # black: overlays show colours
    panel = vis.draw_panel(image, _sample(), draw_gt=False)
    sem = _tile(vis, panel, 'pred', 'semseg')[::2, ::2]
    person = label_palette(21)[15]
    np.testing.assert_array_equal(sem[5, 30], np.rint(0.6 * person))
    np.testing.assert_array_equal(sem[5, 5], 0)  # background is black
    np.testing.assert_array_equal(sem[0, 0], 0)  # unlabelled: the image
    normals = _tile(vis, panel, 'pred', 'normals')[::2, ::2]
    np.testing.assert_array_equal(normals[3, 3], [128, 128, 255])
    np.testing.assert_array_equal(normals[25, 3], 0)  # no label: black
    depth = _tile(vis, panel, 'pred', 'depth')[::2, ::2]
    np.testing.assert_array_equal(depth[1, 1], 0)  # invalid: black
    assert depth[20, 5, 2] > depth[20, 5, 0]  # near: blue
    assert depth[20, 38, 0] > depth[20, 38, 2]  # far: red
    edge = _tile(vis, panel, 'pred', 'edge')[::2, ::2]
    np.testing.assert_array_equal(edge[10, 7], EDGE_COLOUR)
    np.testing.assert_array_equal(edge[20, 7], 0)
    sal = _tile(vis, panel, 'pred', 'sal')[::2, ::2]
    assert len(np.unique(sal.reshape(-1, 3), axis=0)) == 1  # one value


def test_legends():
    from mmpoly.tasks import build_tasks
    tasks = build_tasks(TASKS)
    s = _sample()
    image = np.zeros((H, W, 3), np.uint8)
    _, legend = tasks['semseg'].visualize(
        s.pred_semseg.data, image,
        dict(semseg_classes=[f'c{i}' for i in range(21)]))
    # classes present, most frequent first (one background pixel is
    # unlabelled: 639 background, 640 person)
    assert [name for name, _ in legend] == ['c15', 'c0']
    assert legend[0][1] == tuple(int(v) for v in label_palette(21)[15])
    _, legend = tasks['depth'].visualize(s.pred_depth.data, image)
    assert [name for name, _ in legend
            ] == ['1.00 m', '2.50 m', '4.00 m', 'no depth']


def test_errors(vis):
    with pytest.raises(ValueError, match='nothing to draw'):
        vis.draw_panel(np.zeros((H, W, 3), np.uint8), MultiTaskDataSample())
    bare = MultiTaskLocalVisualizer(name='bare_vis')
    with pytest.raises(ValueError, match='needs its tasks'):
        bare.draw_panel(np.zeros((H, W, 3), np.uint8), _sample())


def test_add_datasample_writes_a_file(vis, tmp_path):
    out = str(tmp_path / 'a' / 'panel.png')
    panel = vis.add_datasample(
        'x', np.zeros((H, W, 3), np.uint8), _sample(), out_file=out)
    import mmcv
    back = mmcv.imread(out, channel_order='rgb')
    np.testing.assert_array_equal(back, panel)


def test_hook_draws_with_its_runners_visualizer(vis, tmp_path):
    """The hook asks its runner for the visualizer: a plain MMEngine
    Visualizer built later in the same process (another runner or tool)
    must not be the one it draws with."""
    from unittest import mock

    import mmcv
    from mmengine.visualization import Visualizer

    from mmpoly.engine.hooks.visualization_hook import \
        MultiTaskVisualizationHook
    image = str(tmp_path / 'images' / 'photo.jpg')
    mmcv.imwrite(np.zeros((H, W, 3), np.uint8), image)
    sample = _sample()
    sample.set_metainfo(dict(img_path=image, img_id='photo'))
    Visualizer.get_instance(f'plain_{np.random.randint(1 << 30)}')  # newest
    show_dir = str(tmp_path / 'panels')
    hook = MultiTaskVisualizationHook(draw=True, show_dir=show_dir)
    runner = mock.Mock(visualizer=vis)
    hook.after_test_iter(runner, 0, {}, [sample])
    assert osp.isfile(osp.join(show_dir, 'photo.png'))
