#!/usr/bin/env bash
# One tool under srun on a Slurm cluster:
#   bash tools/launchers/slurm.sh TOOL.py PARTITION JOB_NAME [tool arguments...]
# Environment: GPUS (total, default 4), GPUS_PER_NODE (default 4),
# CPUS_PER_TASK (default 5), SRUN_ARGS, PYTHON.
set -x
source "$(dirname "$0")/python.sh"
TOOL=$1
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
srun -p "$2" \
    --job-name="$3" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="${GPUS:-4}" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="${CPUS_PER_TASK:-5}" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS:-} \
    "$PYTHON" -u "$REPO_DIR/tools/$TOOL" "${@:4}" --launcher slurm
