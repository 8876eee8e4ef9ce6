#!/usr/bin/env bash
# Distributed training with torchrun (NCCL on GPUs, gloo on CPU).
#   bash tools/dist_train.sh CONFIG NUM_PROCS [train.py options...]
# Environment: NNODES, NODE_RANK, PORT, MASTER_ADDR, PYTHON (default: the
# repository's .venv when it exists), MMPOLY_DEBUG. A failure ends in one
# line (the failed rank and its error, or "port N is in use, set PORT=");
# --debug or MMPOLY_DEBUG=1 shows torchrun's whole output.
exec bash "$(dirname "$0")/launchers/torchrun.sh" train.py "$2" "$1" "${@:3}"
