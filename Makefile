# The two commands of the README, and the environment they share.
#
# PYTHON is the interpreter that creates the venv (`PYTHON=python3.12 make test`
# or `make test PYTHON=python3.12`; used only when the venv does not exist yet);
# the tests and the demo always run with the venv's own python.
VENV ?= .venv
PYTHON ?=
VENV_PYTHON := $(VENV)/bin/python

LINT_PATHS := mmps tools tests configs setup.py

.PHONY: setup demo test lint

## Create/refresh .venv (idempotent; the mmcv build is cached per torch version and op kind).
setup:
	PYTHON="$(PYTHON)" VENV="$(VENV)" bash tools/setup_env.sh

## The main job on the embedded synthetic data: 12 epochs of the tiny OIM model
## on CPU, evaluation, ranked-hits picture (time in docs/benchmarks.md).
demo: setup
	$(VENV_PYTHON) tools/demo.py

## The whole test suite, in TEST_WORKERS processes (pytest-xdist; most of the
## suite's time is tool subprocesses and tiny trainings, which two cores share well).
TEST_WORKERS ?= 2
test: setup
	$(VENV_PYTHON) -m pytest tests -q -p no:cacheprovider -n $(TEST_WORKERS)

## flake8, isort and yapf (settings in setup.cfg); `make format` applies
## isort and yapf.
lint: setup
	$(VENV_PYTHON) -m flake8 $(LINT_PATHS)
	$(VENV_PYTHON) -m isort --check-only --diff $(LINT_PATHS)
	$(VENV_PYTHON) -m yapf --recursive --diff $(LINT_PATHS)

.PHONY: format
format: setup
	$(VENV_PYTHON) -m isort $(LINT_PATHS)
	$(VENV_PYTHON) -m yapf --recursive --in-place $(LINT_PATHS)
