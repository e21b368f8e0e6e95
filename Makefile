# The two commands of the README, and the environment they share.
VENV ?= .venv
PYTHON := $(VENV)/bin/python

.PHONY: setup demo test

## Create/refresh .venv (idempotent; the mmcv build is cached per torch version).
setup:
	bash tools/setup_env.sh

## The main job on the embedded synthetic data (one epoch for now: the tiny OIM
## model takes about 7 s per iteration on 2 CPU cores, see docs/benchmarks.md).
demo: setup
	$(PYTHON) tools/demo.py --epochs 1

## The whole test suite.
test: setup
	$(PYTHON) -m pytest tests -q -p no:cacheprovider
