"""Training curves from MMEngine's ``vis_data/scalars.json`` logs."""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

Series = Dict[str, Tuple[List[float], List[float]]]


def load_scalars(paths: Sequence[str]) -> Series:
    """Every logged scalar: key -> (steps, values), over the files in order
    (a resumed run's logs follow each other).

    Raises:
        FileNotFoundError / ValueError: naming the file and line.
    """
    series: Series = {}
    for path in paths:
        if not osp.isfile(path):
            raise FileNotFoundError(f'log file {path} not found (expected '
                                    '<work_dir>/<timestamp>/vis_data/'
                                    'scalars.json)')
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f'{path}:{n}: not a JSON line ({e})')
                step = row.get('step', row.get('iter'))
                for key, value in row.items():
                    if key in ('step', 'iter',
                               'epoch') or not isinstance(value, (int, float)):
                        continue
                    steps, values = series.setdefault(key, ([], []))
                    steps.append(step)
                    values.append(float(value))
    return series


def plot_curves(series: Series,
                keys: Sequence[str],
                out_file: str,
                title: Optional[str] = None) -> str:
    """Plot ``keys`` against the training step, one panel per key, into a
    PNG at ``out_file``.

    Raises:
        KeyError: for a key the logs do not have, listing those they have.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    missing = [k for k in keys if k not in series]
    if missing:
        raise KeyError(f'no logged values for {missing}; the logs have: '
                       f'{sorted(series)}')
    fig, axes = plt.subplots(
        len(keys), 1, figsize=(7, 2.4 * len(keys)), sharex=True, squeeze=False)
    for ax, key in zip(axes[:, 0], keys):
        steps, values = series[key]
        ax.plot(steps, values, '-', marker='o' if len(steps) < 30 else '')
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel('iteration')
    if title:
        axes[0, 0].set_title(title)
    fig.tight_layout()
    os.makedirs(osp.dirname(out_file) or '.', exist_ok=True)
    fig.savefig(out_file, dpi=110)
    plt.close(fig)
    return out_file
