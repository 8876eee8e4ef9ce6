"""Per-task backward under DDP equals single-process training."""
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmpoly_test_utils import free_port

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))


@pytest.mark.e2e
def test_multitask_ddp_per_task_backward_matches_single_process():
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    proc = subprocess.run([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        f'--master_port={free_port()}',
        osp.join(HERE, 'ddp_per_task_worker.py')
    ],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert 'DDP_PER_TASK_OK' in proc.stdout
