#!/usr/bin/env bash
# Usage: tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCESSES [tool options...]
# One process per GPU, or per CPU worker (gloo backend) on a machine without CUDA.
# NNODES, NODE_RANK, PORT and MASTER_ADDR configure multi-node runs as in mmdet.
set -euo pipefail
usage() {
  echo "usage: $0 CONFIG CHECKPOINT NUM_PROCESSES [tool options...]" >&2
  exit 2
}
if [ $# -lt 3 ]; then
  usage
fi
CONFIG=$1
CHECKPOINT=$2
PROCESSES=$3
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
case "$PROCESSES" in
  ''|*[!0-9]*|0)
    echo "$0: error: NUM_PROCESSES must be a positive integer, got '$PROCESSES'" >&2
    exit 2 ;;
esac
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
# ROOT, REPO and the interpreter PYTHON (the venv's when there is one)
. "$(dirname "${BASH_SOURCE[0]}")/launch_env.sh"

# exec: this script's process becomes torchrun, so that a signal to it
# reaches torchrun (which stops the workers); if torchrun is killed outright,
# the workers' launcher watchdog stops them (mmps.utils.start_launcher_watchdog)
PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" \
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$PROCESSES" \
    --master_port="$PORT" \
    "$ROOT/test.py" \
    "$CONFIG" \
    "$CHECKPOINT" \
    --launcher pytorch "${@:4}"
