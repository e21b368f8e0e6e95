# The two commands of the README, and the environment they share.
VENV ?= .venv
PYTHON := $(VENV)/bin/python

.PHONY: setup demo test

## Create/refresh .venv (idempotent; the mmcv build is cached per torch version).
setup:
	bash tools/setup_env.sh

## The main job on the embedded synthetic data: 12 epochs of the tiny OIM model
## on CPU, evaluation, ranked-hits picture (about 8 minutes on 2 cores; see
## docs/benchmarks.md).
demo: setup
	$(PYTHON) tools/demo.py

## The whole test suite.
test: setup
	$(PYTHON) -m pytest tests -q -p no:cacheprovider
