"""tools/analysis/compare_reference.py without the reference: its one-line
refusals of a wrong checkout or config, and its ratios."""
import importlib.util
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from mmpoly.utils import reference_comparison as rc
from mmpoly.utils.cli import run_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOL = osp.join(REPO, 'tools/analysis/compare_reference.py')


def run_compare(args, monkeypatch, capsys) -> str:
    """The tool's ``main`` in this process; its one error line."""
    spec = importlib.util.spec_from_file_location('compare_reference', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.setattr(sys, 'argv', [TOOL] + args)
    with pytest.raises(SystemExit) as exit_info:
        run_tool(tool.main)
    assert exit_info.value.code == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    return lines[0]


def test_wrong_reference_root_is_one_line(tmp_path, monkeypatch, capsys):
    missing = str(tmp_path / 'MTLoRA')
    line = run_compare(['--reference-root', missing], monkeypatch, capsys)
    assert line.startswith(f'error: --reference-root {missing}: no such '
                           'folder')
    line = run_compare(['--reference-root', str(tmp_path)], monkeypatch,
                       capsys)
    assert 'not a scale-lab/MTLoRA checkout ' \
           '(models/swin_transformer_mtlora.py not found)' in line


def test_reference_that_fails_to_import_is_named(tmp_path, monkeypatch):
    models = tmp_path / 'models'
    models.mkdir()
    (models / '__init__.py').write_text('')
    (models / 'lora.py').write_text('')
    (models / 'swin_transformer_mtlora.py'
     ).write_text('import package_the_reference_needs_xyz\n')
    monkeypatch.delitem(sys.modules, 'models', raising=False)
    path = list(sys.path)
    with pytest.raises(
            rc.ReferenceCheckoutError,
            match=r"failed: No module named "
            r"'package_the_reference_needs_xyz' \(install"):
        rc.import_reference(str(tmp_path))
    assert sys.path == path
    sys.modules.pop('models', None)


def test_settings_come_from_an_mtlora_protocol_config():
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/mtlora-protocol/'
                 'mtlora_swin-t_pascal-context.py'))
    settings = rc.reference_settings(cfg, 'mtlora')
    assert (settings['rank'], settings['task_rank'], settings['scale'],
            settings['merge']) == (64, 4, 4.0, False)
    assert all(settings['enabled'].values())
    cfg.model.backbone.tuner.type = 'DoRAMTLoRA'
    with pytest.raises(rc.ReferenceCheckoutError, match='MTLoRA tuner'):
        rc.reference_settings(cfg, 'dora')
    cfg.model.backbone.tuner.type = 'MTLoRA'
    cfg.model.backbone.tuner.task_targets = ('qkv', 'proj')
    with pytest.raises(rc.ReferenceCheckoutError, match='task_targets'):
        rc.reference_settings(cfg, 'qkv-per-task')


def test_ratios_of_interleaved_runs():
    times = dict(ours=[2.0, 9.0, 3.0], theirs=[4.0, 3.0, 6.0])
    ratio = rc.ratios(times, 'ours', 'theirs')
    assert ratio == {
        'medians': 3.0 / 4.0,
        'best runs': 2.0 / 3.0,
        'per round': 0.5,
    }


def test_interleaved_times_alternate_the_steps():
    order, reported = [], []
    steps = dict(
        ours=lambda: order.append('ours'),
        theirs=lambda: order.append('theirs'))
    times = rc.interleaved_times(steps, 2, lambda: None,
                                 lambda i, now: reported.append((i, *now)))
    assert order == ['ours', 'theirs'] * 3  # an untimed round, two timed
    assert reported == [(0, 'ours', 'theirs'), (1, 'ours', 'theirs')]
    assert set(times) == set(rc.CLOCKS)
    assert all(
        len(values) == 2 for by_step in times.values()
        for values in by_step.values())
