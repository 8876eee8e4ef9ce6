#!/usr/bin/env bash
# Training on a Slurm cluster.
#   bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG [train.py options...]
# Environment: GPUS (total, default 4), GPUS_PER_NODE (default 4),
# CPUS_PER_TASK (default 5), SRUN_ARGS, PYTHON.
exec bash "$(dirname "$0")/launchers/slurm.sh" train.py "$@"
