"""Label values checked at the file's bit depth, the ignore_index check every
task gets, depth units, and images decoded as stored."""
import cv2
import numpy as np
import pytest

from mmpoly.tasks import (BinaryTask, DataFormatError, DepthTask, EdgeTask,
                          LabelMapTask, SegmentationTask, TaskSet, build_tasks)


def test_16bit_labels_are_checked_before_the_cast(tmp_path):
    path = str(tmp_path / 'l16.png')
    label = np.array([[0, 1, 255], [257, 300, 20]], np.uint16)
    assert cv2.imwrite(path, label)
    with pytest.raises(DataFormatError) as e:
        SegmentationTask('semseg', 21).read_gt(path)
    msg = str(e.value)
    assert path in msg and '[257, 300]' in msg and 'max value 300' in msg
    assert 'uint16' in msg and '0..20' in msg
    # a 16-bit file whose values fit is read as it is
    label[1, :2] = 7
    assert cv2.imwrite(path, label)
    np.testing.assert_array_equal(
        SegmentationTask('semseg', 21).read_gt(path), label)
    # and one with 459 classes is fine for a task that has them
    wide = SegmentationTask('context', 459, ignore_index=1000)
    label[1, 0] = 458
    assert cv2.imwrite(path, label)
    assert wide.read_gt(path)[1, 0] == 458


def test_binary_pngs_at_their_bit_depth(tmp_path):
    from PIL import Image
    mask = np.array([[0, 1], [1, 0]], bool)
    path = str(tmp_path / 'one_bit.png')
    Image.fromarray(mask).save(path)  # mode '1'
    np.testing.assert_array_equal(BinaryTask('sal').read_gt(path), mask)
    path16 = str(tmp_path / 'sal16.png')
    assert cv2.imwrite(path16, np.array([[0, 65535]], np.uint16))
    with pytest.raises(DataFormatError, match='values up to 65535'):
        BinaryTask('sal').read_gt(path16)


@pytest.mark.parametrize(
    'task,value,classes',
    [(dict(type='BinaryTask'), 1, '0..1'), (dict(type='EdgeTask'), 0, '0..1'),
     (dict(type='SegmentationTask', num_classes=7), 6, '0..6')])
def test_every_task_refuses_a_class_as_ignore_index(task, value, classes):
    with pytest.raises(ValueError) as e:
        build_tasks(dict(x=dict(task, ignore_index=value)))
    msg = str(e.value)
    assert f'tasks.x.ignore_index={value} is a class id' in msg
    assert f'classes {classes}' in msg
    build_tasks(dict(x=dict(task, ignore_index=255)))


class ThreeLevelTask(LabelMapTask):
    """A task class of one's own: three label values, nothing about
    ignore_index."""
    num_labels = 3
    out_channels = 3
    read_gt = fake_gt = default_loss = activate = stats = None
    metrics = write_prediction = visualize = None


def test_a_task_of_ones_own_gets_the_check():
    with pytest.raises(
            ValueError,
            match=r'tasks.own.ignore_index=2 is a '
            r'class id of ThreeLevelTask .*classes 0..2'):
        TaskSet([ThreeLevelTask('own', ignore_index=2)])
    TaskSet([ThreeLevelTask('own', ignore_index=3)])


def test_depth_units(tmp_path):
    task = DepthTask('depth')
    path = str(tmp_path / 'd.npy')
    np.save(path, np.full((2, 2), 4156, np.uint16))
    with pytest.raises(DataFormatError) as e:
        task.read_gt(path)
    assert path in str(e.value) and 'uint16' in str(e.value)
    assert 'max 4156' in str(e.value)
    gt = np.full((2, 2), 4156.0, np.float32)
    with pytest.raises(DataFormatError) as e:
        task.check_gt(gt, path, (2, 2))
    assert 'max_depth=20' in str(e.value)
    DepthTask('depth', max_depth=None).check_gt(gt, path, (2, 2))
    DepthTask('depth', max_depth=80).check_gt(gt / 100, path, (2, 2))
    with pytest.raises(ValueError, match='tasks.depth.max_depth'):
        DepthTask('depth', max_depth=0)


def test_images_as_stored():
    from mmcv.transforms import LoadImageFromFile

    from mmpoly.datasets.transforms import images_as_stored
    built = LoadImageFromFile()
    out = images_as_stored([
        dict(type='LoadImageFromFile'),
        dict(type='mmseg.LoadImageFromFile', color_type='grayscale'),
        dict(type='LoadImageFromFile', color_type='unchanged'), built,
        dict(type='LoadMultiTaskAnnotations')
    ])
    assert [
        getattr(t, 'get', lambda k, d: None)('color_type', None) for t in out
    ] == [
        'color_ignore_orientation', 'grayscale_ignore_orientation',
        'unchanged', None, None
    ]
    assert built.color_type == 'color_ignore_orientation'


def test_output_names():
    from mmpoly.apis.multitask_inferencer import output_names
    arr = np.zeros((2, 2, 3), np.uint8)
    assert output_names(['a/x.jpg', 'a/x.png', 'b/y.jpg',
                         arr]) == ['x.jpg', 'x.png', 'y', '00000003']
    assert output_names(['a/x.jpg', 'b/x.jpg', 'c/z.png'
                         ]) == ['00000000_x.jpg', '00000001_x.jpg', 'z']


def test_edge_and_segmentation_defaults_are_valid():
    build_tasks(
        dict(
            e=dict(type='EdgeTask'),
            s=dict(type='SegmentationTask', num_classes=255)))
    assert EdgeTask('e').class_values == range(2)
    with pytest.raises(ValueError, match='classes 0..255.*e.g. 256'):
        build_tasks(dict(s=dict(type='SegmentationTask', num_classes=256)))
