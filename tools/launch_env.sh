# Sourced by tools/{dist,slurm}_{train,test}.sh: sets ROOT (this folder), REPO
# (the repository, or mmps/.mim with mim) and PYTHON, the interpreter: the
# project's venv, as make uses it (VENV, default .venv, relative to the
# repository), else $PYTHON, else the python on PATH.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$ROOT/.." && pwd)"
VENV=${VENV:-.venv}
case "$VENV" in /*) ;; *) VENV="$REPO/$VENV" ;; esac
if [ -x "$VENV/bin/python" ]; then
  PYTHON="$VENV/bin/python"
else
  PYTHON=${PYTHON:-python}
fi
