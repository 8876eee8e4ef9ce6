#!/usr/bin/env bash
# Distributed testing with torchrun (NCCL on GPUs, gloo on CPU).
#   bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [test.py options...]
# Environment: NNODES, NODE_RANK, PORT, MASTER_ADDR, PYTHON (default: the
# repository's .venv when it exists).
exec bash "$(dirname "$0")/launchers/torchrun.sh" test.py "$3" "$1" "$2" \
    "${@:4}"
