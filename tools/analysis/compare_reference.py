"""Time mmpoly's MTLoRA backbone against the authors' implementation.

Imports the reference (scale-lab/MTLoRA) from the checkout given with
--reference-root at run time (it is not part of mmpoly; it needs its own
requirements, e.g. timm), builds its Swin-T with MTLoRA with the settings
of an mmpoly MTLoRA config, and mmpoly's backbone from the same config
(both without pretrained weights). First it checks that both do the same
work (trainable backbone parameters, attention computations and
task-specific LoRA terms per step), then times forward + backward of the
sum of every task's stage features on the same input, the two
alternating in one process. It prints, per clock (wall time; on a CPU
also the process's CPU time, which other load on the machine disturbs
less), the medians and best runs, and the ratio mmpoly / reference of the
medians, of the best runs and the median of the per-round ratios.

Example (the issue's setting: Swin-T, r=64 shared / 4 per task, 448²,
batch 2, 4 tasks):
    git clone https://github.com/scale-lab/MTLoRA /tmp/MTLoRA
    python tools/analysis/compare_reference.py \
        --reference-root /tmp/MTLoRA --threads 2
"""
import argparse
from statistics import median

from mmpoly.utils.cli import run_tool
from mmpoly.utils.tool_args import add_debug_arg, check_sizes

DEFAULT_CONFIG = 'configs/mtlora-protocol/mtlora_swin-t_pascal-context.py'


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--reference-root',
        required=True,
        help='a checkout of scale-lab/MTLoRA')
    parser.add_argument(
        '--config',
        default=DEFAULT_CONFIG,
        help=f'an mmpoly MTLoRA config (default {DEFAULT_CONFIG})')
    parser.add_argument('--size', type=int, default=448, help='input side')
    parser.add_argument('--batch', type=int, default=2, help='batch size')
    parser.add_argument(
        '--runs', type=int, default=5, help='timed rounds of both steps')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch CPU threads (default: torch\'s own)')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:i]')
    parser.add_argument('--seed', type=int, default=0)
    add_debug_arg(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    check_sizes('--size --batch --runs', [args.size, args.batch, args.runs])
    from mmpoly.utils import reference_comparison as rc

    # the checkout first: a wrong path ends before anything is built
    rc.import_reference(args.reference_root)

    import torch
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    import mmpoly  # noqa: F401
    from mmpoly.utils.config_loading import load_config
    from mmpoly.utils.model_building import quiet_init_log
    from mmpoly.utils.offline import strip_pretrained

    if args.threads is not None:
        check_sizes('--threads', [args.threads])
        torch.set_num_threads(args.threads)
    cfg = load_config(args.config)
    settings = rc.reference_settings(cfg, args.config)
    tasks = list(cfg.get('tasks') or {})
    if not tasks:
        raise ValueError(f'{args.config}: no top-level tasks')
    torch.manual_seed(args.seed)
    reference = rc.build_reference(args.reference_root, settings, tasks,
                                   args.size).to(args.device).train()
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    backbone_cfg = strip_pretrained(cfg.model.backbone.to_dict())
    backbone_cfg['tasks'] = tasks
    with quiet_init_log():
        ours = MODELS.build(backbone_cfg).to(args.device).train()
    x = torch.randn(args.batch, 3, args.size, args.size, device=args.device)

    def step(model, run):

        def call():
            for p in model.parameters():
                p.grad = None
            run(model, x, tasks)

        return call

    steps = dict(
        reference=step(reference, rc.reference_step),
        mmpoly=step(ours, rc.mmpoly_step))

    # the same work
    ref_qkv = [
        m.qkv for m in reference.modules()
        if type(m).__name__ == 'WindowAttention'
    ]
    ref_task_linears = [
        m for m in reference.modules()
        if type(m).__name__ == 'MTLoRALinear' and m.tasks is not None
    ]
    tuner = ours.tuner
    work = [
        ('trainable backbone parameters', rc.trainable_count(reference),
         rc.trainable_count(ours)),
        ('attention computations (qkv) per step',
         rc.count_calls(ref_qkv, steps['reference']),
         rc.count_calls([info.linears['qkv'] for info in tuner.arch.blocks],
                        steps['mmpoly'])),
        ('task-specific LoRA terms per step',
         rc.count_calls(ref_task_linears, steps['reference']) * len(tasks),
         rc.count_calls([
             branch.down for stages in tuner.task.values() for terms in stages
             for branch in terms.values()
         ], steps['mmpoly'])),
    ]
    print(f'{"same work":<42}{"reference":>12}{"mmpoly":>12}')
    for what, ref_n, our_n in work:
        mark = '' if ref_n == our_n else '  (differs)'
        print(f'  {what:<40}{ref_n:>12,}{our_n:>12,}{mark}')

    def sync():
        if args.device.startswith('cuda'):
            torch.cuda.synchronize()

    def report(i, now):
        print(
            f'run {i + 1}: reference {now["reference"]:.3f} s, '
            f'mmpoly {now["mmpoly"]:.3f} s',
            flush=True)

    # the CPU time of this process says nothing of a GPU's work
    clocks = dict(rc.CLOCKS) if args.device == 'cpu' else dict(
        wall=rc.CLOCKS['wall'])
    times = rc.interleaved_times(steps, args.runs, sync, report, clocks)
    print(f'{args.runs} interleaved runs ({args.device}, '
          f'{torch.get_num_threads()} threads, batch {args.batch}, '
          f'{args.size}², {len(tasks)} tasks):')
    for clock, by_step in times.items():
        for name, values in by_step.items():
            print(f'  {clock:<4} {name:<10} median {median(values):.3f} s, '
                  f'best {min(values):.3f} s')
    for clock, by_step in times.items():
        ratio = rc.ratios(by_step, 'mmpoly', 'reference')
        print(f'ratio mmpoly / reference ({clock}): ' +
              ', '.join(f'{value:.3f} ({what})'
                        for what, value in ratio.items()))


if __name__ == '__main__':
    run_tool(main)
