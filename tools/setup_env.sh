#!/usr/bin/env bash
# Idempotent environment bootstrap for mmps.
#
# Creates .venv (when absent) and installs torch, mmengine, mmcv (built from
# source with its compiled ops, the wheel cached per torch version and op
# kind), mmdet, openmim and mmps itself (editable, with the link that mim
# needs), and the linters of `make lint`. Every step is skipped when already
# satisfied. The first run builds mmcv (compile times in docs/benchmarks.md,
# "Environment set-up"); later set-ups reuse the cached wheel.
#
# Environment knobs:
#   PYTHON        interpreter that creates the venv, used only when the venv does
#                 not exist yet (default: python3.11, else python3)
#   VENV          venv folder (default: .venv in the repository root)
#   MMPS_CACHE    wheel cache (default: ${XDG_CACHE_HOME:-~/.cache}/mmps)
#   TORCH_VERSION torch to install when the venv has none (default: 2.13.0)
#   MAX_JOBS      parallel compile jobs for the mmcv build (default: nproc)
#   FORCE_CUDA    1/0 to build mmcv with/without CUDA ops (default: 1 when
#                 torch sees a GPU); TORCH_CUDA_ARCH_LIST picks the GPU archs
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$ROOT/.venv}"
CACHE="${MMPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmps}"
TORCH_VERSION="${TORCH_VERSION:-2.13.0}"
MMCV_VERSION=2.1.0
MMENGINE_VERSION=0.10.7
MMDET_VERSION=3.3.0
# the linters of `make lint` (also in .pre-commit-config.yaml)
FLAKE8_VERSION=5.0.4
ISORT_VERSION=5.11.5
YAPF_VERSION=0.32.0
CONSTRAINTS="$ROOT/tools/constraints.txt"

log() { printf '[setup_env %(%H:%M:%S)T] %s\n' -1 "$*"; }

if [ ! -x "$VENV/bin/python" ]; then
  PY="${PYTHON:-$(command -v python3.11 || command -v python3)}"
  log "creating $VENV with $PY"
  "$PY" -m venv "$VENV"
elif [ -n "${PYTHON:-}" ] && [ "$PYTHON" != "$VENV/bin/python" ]; then
  want="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo "?")"
  have="$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  if [ "$want" != "$have" ]; then
    log "note: $VENV already exists with Python $have; PYTHON=$PYTHON ($want) is only used" \
      "to create it (remove $VENV to recreate it with $PYTHON)"
  fi
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
if ! has mmengine "==$MMENGINE_VERSION" || ! has scipy || ! has pycocotools || ! has pytest \
   || ! has pytest-xdist \
   || ! has flake8 "==$FLAKE8_VERSION" || ! has isort "==$ISORT_VERSION" \
   || ! has yapf "==$YAPF_VERSION"; then
  log "installing mmengine==$MMENGINE_VERSION, the scientific stack and the linters"
  "${PIP[@]}" install -q -c "$CONSTRAINTS" "mmengine==$MMENGINE_VERSION" numpy scipy \
    pycocotools matplotlib opencv-python-headless pytest pytest-xdist "flake8==$FLAKE8_VERSION" \
    "isort==$ISORT_VERSION" "yapf==$YAPF_VERSION"
fi

# 4. mmcv with compiled ops, built once per torch version and op kind and cached.
#    The op kind is "cpu", or "cuda<version>_sm<archs>" when the ops are built
#    with CUDA: a CPU-only wheel (say, built on a login node without a GPU) is
#    never reused on a GPU node, nor a wheel built for other GPU archs.
if [ -z "${FORCE_CUDA:-}" ]; then
  if "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then
    FORCE_CUDA=1
  else
    FORCE_CUDA=0
  fi
fi
export FORCE_CUDA
OPS_TAG="$("$PY" - <<'PYEOF'
import os
import torch
if os.environ['FORCE_CUDA'] != '1' or torch.version.cuda is None:
    print('cpu')
else:
    archs = os.environ.get('TORCH_CUDA_ARCH_LIST', '').replace(';', ' ').split()
    if not archs:  # torch builds for the visible GPUs
        archs = sorted({'%d.%d' % torch.cuda.get_device_capability(i)
                        for i in range(torch.cuda.device_count())}) or ['default']
    print('cuda%s_sm%s' % (torch.version.cuda, '-'.join(a.replace('.', '') for a in archs)))
PYEOF
)"
# an installed mmcv without CUDA ops does not count on a GPU node
mmcv_ready() {
  has mmcv "==$MMCV_VERSION" && "$PY" - "$OPS_TAG" 2>/dev/null <<'PYEOF'
import sys
from mmcv.ops import get_compiling_cuda_version
cpu_build = get_compiling_cuda_version() == 'not available'
sys.exit(1 if sys.argv[1] != 'cpu' and cpu_build else 0)
PYEOF
}
if ! mmcv_ready; then
  WHEEL_DIR="$CACHE/wheels/torch-$TORCH_TAG-$OPS_TAG"
  mkdir -p "$WHEEL_DIR"
  WHEEL="$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n 1 || true)"
  LEGACY_DIR="$CACHE/wheels/torch-$TORCH_TAG"  # the cache before op kinds: CPU ops only
  if [ -z "$WHEEL" ] && [ "$OPS_TAG" = cpu ] && \
     "$PY" -c 'import torch, sys; sys.exit(0 if torch.version.cuda is None else 1)'; then
    LEGACY="$(ls "$LEGACY_DIR"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n 1 || true)"
    if [ -n "$LEGACY" ]; then
      cp "$LEGACY" "$WHEEL_DIR/" && WHEEL="$WHEEL_DIR/$(basename "$LEGACY")"
    fi
  fi
  if [ -z "$WHEEL" ]; then
    log "building mmcv==$MMCV_VERSION from source (MMCV_WITH_OPS=1 FORCE_CUDA=$FORCE_CUDA);" \
      "(minutes: docs/benchmarks.md)"
    # ninja must be on PATH for torch's BuildExtension to compile in parallel
    # (without it, setuptools compiles one file at a time); -g0 drops the debug
    # information that Python's own CFLAGS ask for (a third of the build time).
    PATH="$VENV/bin:$PATH" CFLAGS="${CFLAGS:-} -g0" CXXFLAGS="${CXXFLAGS:-} -g0" \
      MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" "${PIP[@]}" wheel -v --no-deps \
      --no-build-isolation -w "$WHEEL_DIR" "mmcv==$MMCV_VERSION" >"$WHEEL_DIR/build.log" 2>&1 \
      || { tail -n 40 "$WHEEL_DIR/build.log"; log "mmcv build failed: $WHEEL_DIR/build.log"; exit 1; }
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

# 6. mmps itself, editable (mmps/.mim/{configs,tools,model-index.yml} are then links to the
#    repository folders, so mim sees edits; a non-editable build replaces them
#    with copies, and the next setup links them again).
#    mim 0.3.9 looks for the package at <dist location>/mmps, and a PEP 660
#    editable install leaves only its .dist-info (and an import hook) in
#    site-packages, so site-packages/mmps also becomes a link to the repository
#    package; it is added to the install's RECORD, so `pip uninstall mmps`
#    removes the link (and never its target). `python -I` keeps the working
#    folder off sys.path: there, the repository's mmps.egg-info would answer
#    for mim whatever site-packages holds.
mim_sees_repo() {
  "$PY" -I - "$ROOT" 2>/dev/null <<'PYEOF'
import os.path as osp
import sys
import warnings
warnings.simplefilter('ignore')
from mim.utils import get_installed_path
root = get_installed_path('mmps')
same = osp.realpath(root) == osp.realpath(osp.join(sys.argv[1], 'mmps'))
tools = osp.isfile(osp.join(root, '.mim', 'tools', 'train.py'))
sys.exit(0 if same and tools and osp.isdir(osp.join(root, '.mim', 'configs')) else 1)
PYEOF
}
link_for_mim() {
  "$PY" -I - "$ROOT" <<'PYEOF'
import json
import os
import os.path as osp
import sys
from importlib import metadata

dist = metadata.distribution('mmps')
direct_url = json.loads(dist.read_text('direct_url.json') or '{}')
if not direct_url.get('dir_info', {}).get('editable'):
    sys.exit('mmps is not installed in editable mode; not linking it for mim')
site = str(dist.locate_file(''))
link, target = osp.join(site, 'mmps'), osp.join(sys.argv[1], 'mmps')
if osp.islink(link):
    os.remove(link)
elif osp.exists(link):
    sys.exit(f'{link} exists and is not a link; remove it and rerun')
os.symlink(target, link, target_is_directory=True)
record = next(f for f in dist.files if str(f).endswith('.dist-info/RECORD'))
record = str(dist.locate_file(record))
with open(record) as f:
    listed = {line.split(',')[0] for line in f}
if 'mmps' not in listed:
    with open(record, 'a') as f:
        f.write('mmps,,\n')
print(f'linked {link} -> {target} (for mim)')
PYEOF
}
if ! has mmps || [ ! -L "$ROOT/mmps/.mim/configs" ] || [ ! -L "$ROOT/mmps/.mim/tools" ] \
   || [ ! -L "$ROOT/mmps/.mim/model-index.yml" ] || ! mim_sees_repo; then
  log "installing mmps (editable)"
  # --use-pep517: the PEP 660 build in this venv (pip 23 would otherwise run
  # `setup.py develop`, which setuptools 80 turns into a second, isolated pip build)
  "${PIP[@]}" install -q -c "$CONSTRAINTS" --no-deps --no-build-isolation --use-pep517 -e "$ROOT"
  link_for_mim
  mim_sees_repo || { log "mim still does not find $ROOT/mmps/.mim"; exit 1; }
fi

# 7. verify that mmcv has its compiled ops (and, on a GPU node, its CUDA ops)
"$PY" -c "from mmps.utils.check_env import main; main()"
if [ "$OPS_TAG" != cpu ] && \
   "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then
  "$PY" -c "
import torch
from mmcv.ops import nms
boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.]], device='cuda')
nms(boxes, torch.tensor([0.9, 0.8], device='cuda'), 0.5)
print('mmcv CUDA ops run on', torch.cuda.get_device_name(0))"
fi
log "environment ready: $VENV"
