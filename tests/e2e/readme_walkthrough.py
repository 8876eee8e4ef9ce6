"""Running a README walk-through exactly as written there.

A walk-through section shows files (``<!-- walkthrough-file: PATH -->``
before a Python block, which must be the file at PATH) and commands
(``<!-- walkthrough-commands -->`` before a bash block), run as they stand
but with the schedule cut to a few iterations (``--cfg-options``) and the
test step loading that iteration's checkpoint instead of ``iter_400.pth``.
"""
import os
import os.path as osp
import re
import shlex
import subprocess
import sys
from typing import Dict, List, Tuple

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ITERS = 4
FAST = [
    '--cfg-options', f'train_cfg.max_iters={ITERS}',
    f'train_cfg.val_interval={ITERS}',
    f'default_hooks.checkpoint.interval={ITERS}'
] + [
    f'{phase}_dataloader.{key}' for phase in ('train', 'val', 'test')
    for key in ('num_workers=0', 'persistent_workers=False')
]


def readme_section(title: str) -> str:
    """The README section under ``## <title>``."""
    text = open(osp.join(REPO, 'README.md')).read()
    start = text.index(f'## {title}\n')
    return text[start:text.index('\n## ', start + 1)]


def shown_files(section: str) -> List[Tuple[str, str]]:
    """``(path, code)`` of every file the section shows."""
    return re.findall(r'<!-- walkthrough-file: (\S+) -->\n```python\n(.*?)```',
                      section, re.S)


def commands(section: str) -> List[List[str]]:
    """The section's commands, one argv each."""
    block = re.search(r'<!-- walkthrough-commands -->\n```bash\n(.*?)```',
                      section, re.S).group(1)
    return [
        shlex.split(line, comments=True)
        for line in block.replace('\\\n', ' ').splitlines() if line.strip()
    ]


def run_commands(section: str, cwd) -> Dict[str, str]:
    """Run the section's commands in ``cwd`` (with ``tools``, ``configs``
    and ``tests`` linked there); return each tool's output by script."""
    for name in ('tools', 'configs', 'tests'):
        os.symlink(osp.join(REPO, name), osp.join(cwd, name))
    env = dict(os.environ)
    logs = {}
    for argv in commands(section):
        if argv[0] == 'export':
            key, value = argv[1].split('=', 1)
            env[key] = value
            continue
        assert argv[0] == 'python', argv
        argv = [sys.executable] + argv[1:]
        if argv[1] in ('tools/train.py', 'tools/test.py'):
            argv = [
                a.replace('iter_400.pth', f'iter_{ITERS}.pth') for a in argv
            ] + FAST
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=900)
        assert proc.returncode == 0, (argv, proc.stdout[-3000:],
                                      proc.stderr[-5000:])
        logs[argv[1]] = proc.stdout + proc.stderr
    return logs
