#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#        tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [tool options...]
# One task per GPU through srun, as mmdet's script does.
set -euo pipefail
usage() {
  echo "usage: $0 PARTITION JOB_NAME CONFIG CHECKPOINT [tool options...]" >&2
  exit 2
}
if [ $# -lt 4 ]; then
  usage
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
if [ ! -f "$CONFIG" ]; then
  echo "$0: error: config file $CONFIG does not exist" >&2
  exit 2
fi
case "$CHECKPOINT" in
  *://*) ;;  # http://, s3://...: mmengine fetches these itself
  *) if [ ! -f "$CHECKPOINT" ]; then
       echo "$0: error: checkpoint $CHECKPOINT does not exist" >&2
       exit 2
     fi ;;
esac
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
# ROOT, REPO and the interpreter PYTHON (the venv's when there is one)
. "$(dirname "${BASH_SOURCE[0]}")/launch_env.sh"

# exec: this script's process becomes srun, so that a signal to it reaches
# srun (which stops the tasks)
PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" \
exec srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    "$PYTHON" -u "$ROOT/test.py" "$CONFIG" "$CHECKPOINT" --launcher=slurm "${@:5}"
