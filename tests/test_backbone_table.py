"""The README's methods x backbones table is what the tool computes."""
import importlib.util
import os.path as osp
import re

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'backbone_table',
        osp.join(REPO, 'tools', 'analysis', 'backbone_table.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def readme_table():
    text = open(osp.join(REPO, 'README.md')).read()
    block = re.search(r'<!-- backbone-table -->\n(.*?)<!-- /backbone-table',
                      text, re.S).group(1)
    notes = dict(re.findall(r'^\[(\d+)\] (.*?) *$', block, re.M))
    rows = {}
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip('|').split('|')]
        if line.startswith('| ') and not line.startswith('| method'):
            rows[cells[0]] = [
                notes[m.group(1)] if
                (m := re.fullmatch(r'— \[(\d+)\]', c)) else int(
                    c.replace(',', '')) for c in cells[1:]
            ]
    return rows


@pytest.mark.parametrize('method', ['polyhistor-lite', 'vpt-shallow'])
def test_readme_rows_are_the_tools_figures(method):
    """Two rows (one with refusals) recomputed; the tool prints them all."""
    tool = load_tool()
    title = dict(tool.METHODS)[method]
    want = []
    for _, folder, size in tool.FAMILIES:
        count, refusal = tool.count_cell(method, folder, size)
        want.append(count if refusal is None else refusal)
    assert readme_table()[title] == want


def test_the_table_has_every_method_and_family():
    tool = load_tool()
    rows = readme_table()
    assert list(rows) == [title for _, title in tool.METHODS]
    assert all(len(cells) == len(tool.FAMILIES) for cells in rows.values())
    assert rows['Polyhistor'][0] == 8_960_352  # Swin-T, as published
