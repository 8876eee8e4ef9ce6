#!/usr/bin/env bash
# Testing on a Slurm cluster.
#   bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options...]
# Environment: GPUS (total, default 4), GPUS_PER_NODE (default 4),
# CPUS_PER_TASK (default 5), SRUN_ARGS, PYTHON.
exec bash "$(dirname "$0")/launchers/slurm.sh" test.py "$@"
