#!/usr/bin/env bash
# One tool under torchrun (NCCL on GPUs, gloo on CPU):
#   bash tools/launchers/torchrun.sh TOOL.py NUM_PROCS [tool arguments...]
# Environment: NNODES, NODE_RANK, PORT, MASTER_ADDR, PYTHON, MMPOLY_DEBUG.
# A failure ends in one line (which rank failed and its error; or "port N is
# in use"); --debug or MMPOLY_DEBUG=1 shows torchrun's whole output. See
# tools/launchers/torchrun.py.
set -e
source "$(dirname "$0")/python.sh"
exec "$PYTHON" "$REPO_DIR/tools/launchers/torchrun.py" "$@"
