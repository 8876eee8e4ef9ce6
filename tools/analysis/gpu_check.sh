#!/usr/bin/env bash
# A short real-size speed and memory check on a CUDA machine.
#
# Runs tools/analysis/benchmark.py (each measurement in its own process) on
# Polyhistor, Polyhistor-Lite, MTLoRA (the MTLoRA protocol's config) and
# multi-task full fine-tuning, with Swin-T and Swin-B at 448 x 448, batch 8,
# in fp32 and mixed precision (amp: float16 on CUDA), with sequential and
# task-batched backbone passes (batched only for the methods that run one
# pass per task; the others are measured sequential only). One table per
# config: training step time, images/s, inference time, peak memory, and
# the amp / fp32 and batched / sequential ratios measured in that run.
#
# Usage (from anywhere; paths are relative to the repository root):
#   tools/analysis/gpu_check.sh                # the check, on cuda
#   tools/analysis/gpu_check.sh --cpu --tiny   # the script itself, on a CPU
#   tools/analysis/gpu_check.sh --size 448 --batch 4 \
#       --configs "configs/polyhistor_swin-t.py" --precision "fp32 bf16"
#
# Options:
#   --cpu               run on the CPU (otherwise CUDA is required)
#   --tiny              the toy configs (small random Swin) at 64 x 64,
#                       batch 2, 1 step: a test of the script, not a figure
#   --configs "A B"     configs to measure instead of the default ones
#   --size N            input side (default 448; 64 with --tiny)
#   --batch N           batch size (default 8; 2 with --tiny)
#   --iters N           timed steps (default 5; 1 with --tiny)
#   --warmup N          untimed steps first (default 2; 1 with --tiny)
#   --precision "P .."  precisions (default "fp32 amp")
#   --passes "P .."     passes (default "sequential batched")
#   --device DEV        the CUDA device (default cuda)
# Environment: GPU_CHECK_TINY=1 is --tiny, GPU_CHECK_DEVICE=cpu is --cpu,
# PYTHON is the interpreter (default: .venv/bin/python if present, else
# python). Exit status: 0 when every config was measured, 1 otherwise (a
# measurement that fails, e.g. out of memory, does not stop the others).
set -u

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 1

fail() {
    echo "error: gpu_check.sh: $*" >&2
    exit 1
}

DEVICE="${GPU_CHECK_DEVICE:-cuda}"
TINY="${GPU_CHECK_TINY:-0}"
CONFIGS=""
SIZE=""
BATCH=""
ITERS=""
WARMUP=""
PRECISION="fp32 amp"
PASSES="sequential batched"

while [ $# -gt 0 ]; do
    case "$1" in
        --cpu) DEVICE=cpu ;;
        --tiny) TINY=1 ;;
        --configs|--size|--batch|--iters|--warmup|--precision|--passes|--device)
            [ $# -ge 2 ] || fail "$1 needs a value"
            case "$1" in
                --configs) CONFIGS="$2" ;;
                --size) SIZE="$2" ;;
                --batch) BATCH="$2" ;;
                --iters) ITERS="$2" ;;
                --warmup) WARMUP="$2" ;;
                --precision) PRECISION="$2" ;;
                --passes) PASSES="$2" ;;
                --device) DEVICE="$2" ;;
            esac
            shift ;;
        -h|--help)
            awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
            exit 0 ;;
        *) fail "unknown argument $1 (see --help)" ;;
    esac
    shift
done

if [ -z "${PYTHON:-}" ]; then
    if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python; fi
fi

if [ "$TINY" = 1 ]; then
    : "${CONFIGS:=configs/toy/polyhistor_swin-mini_toy-pascal.py configs/toy/polyhistor-lite_swin-mini_toy-pascal.py configs/toy/mtlora-protocol/mtlora_swin-mini_toy-pascal.py configs/toy/mtft_swin-mini_toy-pascal.py}"
    : "${SIZE:=64}" "${BATCH:=2}" "${ITERS:=1}" "${WARMUP:=1}"
else
    for arch in swin-t swin-b; do
        CONFIGS="${CONFIGS:-} configs/polyhistor_${arch}.py configs/polyhistor-lite_${arch}.py configs/mtlora-protocol/mtlora_${arch}_pascal-context.py configs/baselines/mtft_${arch}_pascal-context.py"
    done
    : "${SIZE:=448}" "${BATCH:=8}" "${ITERS:=5}" "${WARMUP:=2}"
fi

case "$DEVICE" in
    cpu) ;;
    cuda|cuda:*)
        "$PYTHON" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 3)' \
            2>/dev/null
        status=$?
        if [ $status -eq 3 ]; then
            fail "CUDA is not available (torch.cuda.is_available() is False); use --cpu (with --tiny) to run on the CPU"
        elif [ $status -ne 0 ]; then
            fail "$PYTHON cannot import torch (set PYTHON to the project's interpreter)"
        fi ;;
    *) fail "--device $DEVICE: expected cuda[:i] or cpu" ;;
esac

failed=""
count=0
for config in $CONFIGS; do
    count=$((count + 1))
    echo
    echo "== $config ($DEVICE, ${SIZE}x${SIZE}, batch $BATCH) =="
    # shellcheck disable=SC2086  # the lists are word-split on purpose
    if ! "$PYTHON" tools/analysis/benchmark.py "$config" --device "$DEVICE" \
        --size "$SIZE" --batch "$BATCH" --iters "$ITERS" --warmup "$WARMUP" \
        --precision $PRECISION --passes $PASSES --skip-unsupported \
        --keep-going; then
        failed="$failed $config"
    fi
done

echo
if [ -n "$failed" ]; then
    fail "measurements failed for:$failed (their errors are above)"
fi
echo "gpu_check.sh: measured $count config(s) on $DEVICE"
