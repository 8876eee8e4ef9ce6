"""Tasks and evaluation do not import each other in a cycle.

``mmpoly.evaluation`` imports ``mmpoly.tasks`` (the metric builds the
config's tasks); ``mmpoly.tasks`` and the metric kernels of
``mmpoly.functional`` must therefore import no ``mmpoly.evaluation`` module.

Each check imports one subpackage in a fresh interpreter whose ``mmpoly``
is an empty package of the same folder: ``mmpoly/__init__.py`` imports
every subpackage on purpose (to register them), so importing through it
would say nothing about what the subpackage itself needs.
"""
import json
import os.path as osp
import sys

import pytest
from mmpoly_test_utils import run_tool

MMPOLY = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'mmpoly')

#: Imports ``sys.argv[2]`` below a bare ``mmpoly`` package of the folder
#: ``sys.argv[1]``; prints the ``mmpoly`` modules then loaded, as JSON.
IMPORT_ALONE = '''
import importlib, json, sys, types
package = types.ModuleType('mmpoly')
package.__path__ = [sys.argv[1]]
sys.modules['mmpoly'] = package
importlib.import_module(sys.argv[2])
print(json.dumps(sorted(m for m in sys.modules if m.startswith('mmpoly.'))))
'''


def mmpoly_modules_imported_by(module: str) -> list:
    """The ``mmpoly.*`` modules a fresh interpreter has loaded after
    importing ``module`` alone."""
    proc = run_tool([sys.executable, '-c', IMPORT_ALONE, MMPOLY, module])
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize('module, forbidden', [
    ('mmpoly.functional', ('mmpoly.tasks', 'mmpoly.evaluation')),
    ('mmpoly.tasks', ('mmpoly.evaluation', )),
])
def test_module_imports_neither_side_of_the_cycle(module, forbidden):
    loaded = mmpoly_modules_imported_by(module)
    assert module in loaded  # the import did happen
    offending = [
        m for m in loaded
        if any(m == f or m.startswith(f + '.') for f in forbidden)
    ]
    assert not offending, f'importing {module} loads {offending}'
