#!/usr/bin/env bash
# One tool under torchrun (NCCL on GPUs, gloo on CPU):
#   bash tools/launchers/torchrun.sh TOOL.py NUM_PROCS [tool arguments...]
# Environment: NNODES, NODE_RANK, PORT, MASTER_ADDR, PYTHON.
set -e
source "$(dirname "$0")/python.sh"
TOOL=$1
NPROC=$2
"$PYTHON" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --nproc_per_node="$NPROC" \
    --master_port="${PORT:-29500}" \
    "$REPO_DIR/tools/$TOOL" "${@:3}" --launcher pytorch
