"""Ratios between the rows of one ``tools/analysis/benchmark.py`` run.

Rows are the dicts :func:`mmpoly.utils.benchmark.measure` returns. Two
kinds of ratio are taken, each between rows measured in the same run:

- :func:`mode_ratios`: one mode setting changed (precision, passes or
  ``with_cp``), config and variant the same, against the reference setting
  (the first value the user listed);
- :func:`floor_ratios`: a method's training step against its per-task-pass
  floors (same config and mode).
"""
from typing import Dict, List, Optional, Sequence

#: A measured row (see :func:`mmpoly.utils.benchmark.measure`).
Row = Dict[str, object]

#: The mode settings of a row, in the order they are listed.
MODE_KEYS = ('precision', 'passes', 'with_cp')


def setting_text(key: str, value) -> str:
    """A mode setting as the command line names it (``with_cp on``)."""
    if key == 'with_cp':
        return f'with_cp {"on" if value else "off"}'
    return str(value)


def change_text(key: str, value, reference) -> str:
    """E.g. ``'bf16 vs fp32'``, ``'with_cp on vs off'``."""
    if key == 'with_cp':
        return f'with_cp {"on" if value else "off"} vs ' \
            f'{"on" if reference else "off"}'
    return f'{value} vs {reference}'


def _ratio(num: Optional[float], den: Optional[float]) -> Optional[float]:
    if num is None or not den:
        return None
    return num / den


def _row_key(row: Row, **changes) -> tuple:
    values = dict(row, **changes)
    return (values['config'], values['variant']) + tuple(values[k]
                                                         for k in MODE_KEYS)


def mode_ratios(rows: Sequence[Row], references: Row) -> List[Row]:
    """Every row against the row that differs only in one mode setting,
    that setting being its reference value.

    Args:
        rows: Measured rows.
        references: The reference value of each mode key (e.g.
            ``{'precision': 'fp32', 'passes': 'sequential',
            'with_cp': False}``).

    Returns:
        One dict per pair (by setting changed: precision, passes, then
        ``with_cp``; then in the order of ``rows``): ``config``,
        ``variant``, ``change`` (e.g. ``'bf16 vs fp32'``), ``at`` (the
        other settings),
        ``step_speedup`` and ``infer_speedup`` (reference time / time),
        ``peak_ratio`` (peak / reference peak) and ``step_mem_ratio``
        (the same for the memory above what was held before the step);
        None when not measured.
    """
    by_key = {_row_key(r): r for r in rows}
    out = []
    for key in MODE_KEYS:
        ref_value = references[key]
        for row in rows:
            if row[key] == ref_value:
                continue
            ref = by_key.get(_row_key(row, **{key: ref_value}))
            if ref is None:
                continue
            others = [setting_text(k, row[k]) for k in MODE_KEYS if k != key]
            out.append(
                dict(
                    config=row['config'],
                    variant=row['variant'],
                    change=change_text(key, row[key], ref_value),
                    at=' '.join(others),
                    step_speedup=_ratio(ref['train_step_s'],
                                        row['train_step_s']),
                    infer_speedup=_ratio(ref['infer_ms_per_img'],
                                         row['infer_ms_per_img']),
                    peak_ratio=_ratio(row['peak_train_mb'],
                                      ref['peak_train_mb']),
                    step_mem_ratio=_ratio(row['step_mem_mb'],
                                          ref['step_mem_mb'])))
    return out


def floor_ratios(rows: Sequence[Row]) -> List[Row]:
    """Each method row's training step over its floors' (same config and
    mode): ``vs_floor`` (with the backward through the backbone) and
    ``vs_floor_fwd`` (without); None where that floor was not measured."""
    by_key = {_row_key(r): r for r in rows}
    out = []
    for row in rows:
        if row['variant'] != 'method':
            continue
        floors = {
            v: by_key.get(_row_key(row, variant=v))
            for v in ('floor', 'floor-fwd')
        }
        if not any(floors.values()):
            continue
        out.append(
            dict(
                config=row['config'],
                at=' '.join(setting_text(k, row[k]) for k in MODE_KEYS),
                **{
                    f'vs_{v.replace("-", "_")}':
                    _ratio(row['train_step_s'], f['train_step_s'])
                    if f else None
                    for v, f in floors.items()
                }))
    return out
