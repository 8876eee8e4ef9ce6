"""The second sweep's wrong-ground-truth and lost-results cases, through the
real tools: 16-bit labels, EXIF-rotated JPEGs, an ignore_index that is a
class, integer / millimetre depth, ``tools/test.py --out --overwrite`` and
the inferencer's output names and input arrays."""
import json
import os
import os.path as osp

import cv2
import mmcv
import numpy as np
import pytest
from conftest import (TOY_POLY, assert_one_line_error, cli, first_val_id,
                      semseg_png, short_run)
from mmpoly_test_utils import toy_options

TEST, TRAIN = 'tools/test.py', 'tools/train.py'
CHECK = 'tools/misc/check_dataset.py'
TOY_NYUD = 'configs/toy/decoder-only_swin-mini_toy-nyud.py'
#: Options of a test run on the first val image only.
ONE_IMAGE = ('test_dataloader.dataset.indices=1', )


def _test(capsys, root, checkpoint, *extra):
    flags = [e for e in extra if '=' not in e or e.startswith('-')]
    options = [e for e in extra if e not in flags]
    return cli(capsys, TEST, TOY_POLY, checkpoint, *flags, *toy_options(root),
               *options)


# --------------------------------------------------- wrong ground truth
def test_16bit_semseg_png_is_not_wrapped(capsys, own_data, trained):
    path = semseg_png(own_data, first_val_id(own_data))
    label = mmcv.imread(path, 'unchanged').astype(np.uint16)
    label[label == 1] = 257  # PASCAL-Context's 459 classes: 257 % 256 = 1
    label[0, 0] = 300
    assert cv2.imwrite(path, label)
    assert mmcv.imread(path, 'unchanged').dtype == np.uint16
    line = assert_one_line_error(
        _test(capsys, own_data, trained['poly']), path, 'max value 300',
        '0..20')
    assert '257' in line
    r = cli(capsys, CHECK, TOY_POLY, '--full', *toy_options(own_data))
    assert r.code == 1
    assert f'{path}: ' in r.out and 'max value 300' in r.out


def test_exif_orientation_is_ignored_like_the_labels(capsys, own_data,
                                                     inferencer, tmp_path):
    from PIL import Image
    img_id = first_val_id(own_data)
    path = osp.join(own_data, 'JPEGImages', img_id + '.jpg')
    stored = osp.join(str(tmp_path), 'untagged.jpg')
    pixels = np.asarray(Image.open(path).convert('RGB'))
    Image.fromarray(pixels).save(stored, quality=95)
    exif = Image.Exif()
    exif[0x0112] = 3  # rotated by 180 degrees: the same size
    Image.fromarray(pixels).save(path, quality=95, exif=exif.tobytes())
    # the tag is real: OpenCV's default decoding rotates the image
    as_stored = cv2.imread(path,
                           cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    np.testing.assert_array_equal(as_stored, cv2.imread(stored))
    assert not np.array_equal(cv2.imread(path), as_stored)
    out = str(tmp_path / 'out')
    r = _test(capsys, own_data, inferencer.weights_path, '--out', out,
              'test_dataloader.batch_size=1', *ONE_IMAGE)
    assert r.code == 0, r.err[-2000:]
    # tools/test.py saw the stored pixels, aligned with the labels
    expected = inferencer(as_stored)['predictions']
    semseg = mmcv.imread(osp.join(out, 'semseg', img_id + '.png'), 'unchanged')
    np.testing.assert_array_equal(semseg, expected['semseg'][0])
    sal = mmcv.imread(osp.join(out, 'sal', img_id + '.png'), 'unchanged')
    np.testing.assert_allclose(sal, expected['sal'][0] * 255, atol=1)
    # and so does the inferencer, given the file
    np.testing.assert_array_equal(
        inferencer(path)['predictions']['semseg'], expected['semseg'])


@pytest.mark.parametrize('key,value,classes', [('sal', 1, '0..1'),
                                               ('sal', 0, '0..1'),
                                               ('semseg', 20, '0..20')])
def test_ignore_index_that_is_a_class(capsys, data_root, trained, key, value,
                                      classes):
    r = _test(capsys, data_root, trained['poly'],
              f'tasks.{key}.ignore_index={value}')
    assert_one_line_error(r, f'tasks.{key}.ignore_index={value}',
                          f'classes {classes}')


@pytest.fixture(scope='module')
def nyud_root(tmp_path_factory):
    from mmpoly.testing.toy_nyud import generate_toy_nyud_mt
    root = str(tmp_path_factory.mktemp('nyud'))
    generate_toy_nyud_mt(root, num_train=2, num_val=1, size=32, seed=0)
    return root


@pytest.mark.parametrize('encoding,needles',
                         [('uint16',
                           ('uint16', 'max 4156', 'metres as floats')),
                          ('float-mm', ('depth up to 4156', 'max_depth=20'))])
def test_depth_in_millimetres(capsys, nyud_root, tmp_path, encoding, needles):
    import shutil
    root = str(tmp_path / 'nyud')
    shutil.copytree(nyud_root, root)
    ids = open(osp.join(root, 'gt_sets', 'train.txt')).read().split()
    path = osp.join(root, 'depth', ids[0] + '.npy')
    depth = np.minimum(np.load(path), 4.0)
    depth[0, 0] = 4.156
    mm = np.rint(depth * 1000)
    np.save(path, mm.astype(np.uint16 if encoding == 'uint16' else 'f4'))
    opts = toy_options(root)
    if encoding == 'uint16':  # training stops before its first iteration
        r = cli(capsys, TRAIN, TOY_NYUD, '--work-dir', str(tmp_path / 'w'),
                *short_run(root))
        assert_one_line_error(r, path, *needles)
    r = cli(capsys, CHECK, TOY_NYUD, '--full', *opts)
    assert r.code == 1 and f'{path}: ' in r.out
    for needle in needles:
        assert needle in r.out


# ------------------------------------------------------ lost results
def test_out_refuses_a_data_root(capsys, own_data, trained):
    before = sorted(os.listdir(own_data))
    for out in (own_data, osp.join(own_data,
                                   'results'), osp.dirname(own_data)):
        r = _test(capsys, own_data, trained['poly'], '--out', out,
                  '--overwrite')
        assert_one_line_error(r, f'--out {out}', own_data)
    assert sorted(os.listdir(own_data)) == before
    assert not osp.exists(osp.join(own_data, 'results'))


def test_out_overwrite_removes_only_what_mmpoly_wrote(capsys, data_root,
                                                      trained, tmp_path):
    out = str(tmp_path / 'out')
    foreign = osp.join(out, 'semseg', 'ground_truth.png')
    os.makedirs(osp.dirname(foreign))
    open(foreign, 'w').write('not mmpoly')
    r = _test(capsys, data_root, trained['poly'], '--out', out, '--overwrite')
    assert_one_line_error(r, out, 'did not write', 'semseg')
    assert osp.isfile(foreign)
    os.remove(foreign)

    r = _test(capsys, data_root, trained['poly'], '--out', out, *ONE_IMAGE)
    assert r.code == 0, r.err[-2000:]
    with open(osp.join(out, '.mmpoly-manifest.json')) as f:
        listed = json.load(f)['files']
    assert 'metrics.json' in listed and 'semseg/' + first_val_id(
        data_root) + '.png' in listed
    assert len(listed) == 1 + 4  # 1 val image, 4 tasks
    notes = osp.join(out, 'notes.txt')
    open(notes, 'w').write('mine')
    r = _test(capsys, data_root, trained['poly'], '--out', out)
    assert_one_line_error(r, out, 'already holds results', '--overwrite')
    stale = osp.join(out, 'semseg', 'stale.png')
    open(stale, 'w').write('not listed')
    r = _test(capsys, data_root, trained['poly'], '--out', out, '--overwrite')
    assert_one_line_error(r, stale.split(out + os.sep)[1], 'does not list')
    os.remove(stale)
    r = _test(capsys, data_root, trained['poly'], '--out', out, '--overwrite',
              *ONE_IMAGE)
    assert r.code == 0, r.err[-2000:]
    assert 'removed the 5 file(s)' in r.out and 'kept 1' in r.out
    assert open(notes).read() == 'mine'
    assert len(os.listdir(osp.join(out, 'semseg'))) == 1


def test_interrupted_run_is_cleaned_up_by_its_manifest(tmp_path):
    from mmpoly.testing.output_dir import (MANIFEST, finish_manifest,
                                           prepare_results_dir)
    out = str(tmp_path / 'out')
    assert prepare_results_dir(out) == set()
    prepare_results_dir(out)  # a run that stopped before writing anything
    os.makedirs(osp.join(out, 'semseg'))
    open(osp.join(out, 'semseg', 'a.png'), 'w').close()  # then one that
    with pytest.raises(FileExistsError, match='1 file'):  # was killed
        prepare_results_dir(out, result_folders=['semseg'])
    before = prepare_results_dir(out, overwrite=True)
    assert before == set() and os.listdir(out) == [MANIFEST]
    open(osp.join(out, 'b.txt'), 'w').close()
    assert finish_manifest(out, before) == ['b.txt']
    with pytest.raises(ValueError, match='is inside the data root'):
        prepare_results_dir(osp.join(out, 'x'), [out])


# ------------------------------------------------------------ inferencer
@pytest.fixture(scope='module')
def inferencer(trained):
    from mmpoly.apis import MultiTaskInferencer
    inferencer = MultiTaskInferencer(TOY_POLY, trained['poly'], device='cpu')
    inferencer.weights_path = trained['poly']
    return inferencer


def test_inferencer_same_stem_names(inferencer, data_root, tmp_path):
    src = osp.join(data_root, 'JPEGImages', first_val_id(data_root) + '.jpg')
    image = mmcv.imread(src)
    folder = tmp_path / 'in'
    folder.mkdir()
    files = [str(folder / n) for n in ('x.jpg', 'x.png', 'y.png')]
    mmcv.imwrite(image, files[0])
    mmcv.imwrite(np.ascontiguousarray(image[::-1]), files[1])
    mmcv.imwrite(image, files[2])
    expected = inferencer(files)['predictions']
    assert not np.array_equal(expected[0]['semseg'], expected[1]['semseg'])
    out = str(tmp_path / 'out')
    inferencer(str(folder), out_dir=out)
    names = ['x.jpg.png', 'x.png.png', 'y.png']
    assert sorted(os.listdir(osp.join(out, 'pred', 'semseg'))) == names
    assert sorted(os.listdir(osp.join(out, 'vis'))) == names
    for name, pred in zip(names, expected):
        written = mmcv.imread(
            osp.join(out, 'pred', 'semseg', name), 'unchanged')
        np.testing.assert_array_equal(written, pred['semseg'][0])


def test_inferencer_refuses_float_images(inferencer, data_root):
    src = osp.join(data_root, 'JPEGImages', first_val_id(data_root) + '.jpg')
    image = mmcv.imread(src)
    with pytest.raises(ValueError) as e:
        inferencer(image.astype(np.float32) / 255)
    msg = str(e.value)
    assert '\n' not in msg and 'float32' in msg and 'uint8' in msg
    assert 'values in [0, 1]' in msg or 'values in [0,' in msg
    assert inferencer(image)['predictions']['semseg'].shape[1:] == \
        image.shape[:2]
