#!/usr/bin/env bash
# Idempotent environment bootstrap for mmps.
#
# Creates .venv (when absent) and installs torch, mmengine, mmcv (built from
# source with its compiled ops, the wheel cached per torch version), mmdet,
# openmim and mmps itself (editable). Every step is skipped when already
# satisfied, so a second run takes seconds once the mmcv wheel is cached.
#
# Environment knobs:
#   PYTHON        interpreter used to create the venv (default: python3.11, else python3)
#   VENV          venv folder (default: .venv in the repository root)
#   MMPS_CACHE    wheel cache (default: ${XDG_CACHE_HOME:-~/.cache}/mmps)
#   TORCH_VERSION torch to install when the venv has none (default: 2.13.0)
#   MAX_JOBS      parallel compile jobs for the mmcv build (default: nproc)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$ROOT/.venv}"
CACHE="${MMPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmps}"
TORCH_VERSION="${TORCH_VERSION:-2.13.0}"
MMCV_VERSION=2.1.0
MMENGINE_VERSION=0.10.7
MMDET_VERSION=3.3.0
CONSTRAINTS="$ROOT/tools/constraints.txt"

log() { printf '[setup_env %(%H:%M:%S)T] %s\n' -1 "$*"; }

if [ ! -x "$VENV/bin/python" ]; then
  PY="${PYTHON:-$(command -v python3.11 || command -v python3)}"
  log "creating $VENV with $PY"
  "$PY" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

has() { "$PY" - "$@" 2>/dev/null <<'PYEOF'
import sys
from importlib import metadata
name, spec = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else '')
try:
    version = metadata.version(name)
except metadata.PackageNotFoundError:
    sys.exit(1)
if spec:
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version
    sys.exit(0 if Version(version) in SpecifierSet(spec) else 1)
PYEOF
}

# 1. build tooling (pkg_resources is needed by the mmcv build, mmengine and openmim)
if ! has setuptools '>=77,<81' || ! has wheel || ! has ninja || ! has packaging; then
  log "installing build tooling"
  "${PIP[@]}" install -q -c "$CONSTRAINTS" 'setuptools>=77,<81' wheel ninja packaging
fi

# 2. torch: keep any torch already there (a CUDA build on a cluster), else the pinned one
if ! has torch; then
  log "installing torch==$TORCH_VERSION"
  "${PIP[@]}" install -q -c "$CONSTRAINTS" "torch==$TORCH_VERSION"
fi
TORCH_TAG="$("$PY" -c 'import torch; print(torch.__version__.replace("+", "_"))')"

# 3. pure-python dependencies
if ! has mmengine "==$MMENGINE_VERSION" || ! has scipy || ! has pycocotools || ! has pytest; then
  log "installing mmengine==$MMENGINE_VERSION and the scientific stack"
  "${PIP[@]}" install -q -c "$CONSTRAINTS" "mmengine==$MMENGINE_VERSION" numpy scipy \
    pycocotools matplotlib opencv-python-headless pytest
fi

# 4. mmcv with compiled ops, built once per torch version and cached
if ! has mmcv "==$MMCV_VERSION" || ! "$PY" -c 'import mmcv.ops' 2>/dev/null; then
  WHEEL_DIR="$CACHE/wheels/torch-$TORCH_TAG"
  mkdir -p "$WHEEL_DIR"
  WHEEL="$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n 1 || true)"
  if [ -z "$WHEEL" ]; then
    if "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then
      export FORCE_CUDA=1
    else
      export FORCE_CUDA=0
    fi
    log "building mmcv==$MMCV_VERSION from source (MMCV_WITH_OPS=1 FORCE_CUDA=$FORCE_CUDA); about 8 minutes on 2 cores"
    MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" "${PIP[@]}" wheel --no-deps \
      --no-build-isolation -w "$WHEEL_DIR" "mmcv==$MMCV_VERSION"
    WHEEL="$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl | head -n 1)"
  else
    log "reusing cached $WHEEL"
  fi
  "${PIP[@]}" install -q -c "$CONSTRAINTS" --force-reinstall --no-deps "$WHEEL"
  "${PIP[@]}" install -q -c "$CONSTRAINTS" addict yapf 'opencv-python-headless' pyyaml
fi

# 5. mmdet and openmim (openxlab, pulled by openmim, pins an old setuptools:
#    the constraints file keeps ours)
if ! has mmdet "==$MMDET_VERSION"; then
  log "installing mmdet==$MMDET_VERSION"
  "${PIP[@]}" install -q -c "$CONSTRAINTS" "mmdet==$MMDET_VERSION"
fi
if ! has openmim; then
  log "installing openmim"
  "${PIP[@]}" install -q -c "$CONSTRAINTS" --no-deps openmim==0.3.9
  "${PIP[@]}" install -q -c "$CONSTRAINTS" Click colorama model-index pandas requests rich tabulate
fi

# 6. mmps itself, editable (mmps/.mim/{configs,tools} are then links to the
#    repository folders, so mim sees edits; a non-editable build replaces them
#    with copies, and the next setup links them again)
if ! has mmps || [ ! -L "$ROOT/mmps/.mim/configs" ] || [ ! -L "$ROOT/mmps/.mim/tools" ]; then
  log "installing mmps (editable)"
  "${PIP[@]}" install -q -c "$CONSTRAINTS" --no-deps --no-build-isolation -e "$ROOT"
fi

# 7. verify that mmcv has its compiled ops
"$PY" -c "from mmps.utils.check_env import main; main()"
log "environment ready: $VENV"
