"""Fixtures of the tool tests: a toy detection dataset and one reference
training run of the smoke RetinaNet config, shared by the module tests."""
import json
import os.path as osp
from glob import glob
from typing import List

import pytest

from mmps.testing import get_config_file, make_toy_detection_dataset, run_tool

SMOKE_CONFIG = get_config_file('smoke/smoke_retinanet_tiny.py')
# deterministic runs: fixed seed, no random flip
DETERMINISTIC = ['randomness.seed=0', 'train_dataloader.dataset.pipeline.3.prob=0.0']


def read_scalars(work_dir: str) -> List[dict]:
    """The training log records (``vis_data/scalars.json``) of every run in
    a work dir."""
    records = []
    for path in sorted(glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            records += [json.loads(line) for line in f if line.strip()]
    return [record for record in records if 'loss' in record]


@pytest.fixture(scope='session')
def toy_root(tmp_path_factory) -> str:
    """A folder holding ``data/toy_det`` where the smoke config expects it."""
    root = str(tmp_path_factory.mktemp('toy'))
    make_toy_detection_dataset(osp.join(root, 'data', 'toy_det'))
    return root


@pytest.fixture(scope='session')
def reference_run(toy_root) -> str:
    """An uninterrupted 6-epoch run of the smoke config."""
    work_dir = osp.join(toy_root, 'work_reference')
    run_tool(
        'train.py',
        SMOKE_CONFIG,
        '--work-dir',
        work_dir,
        '--cfg-options',
        *DETERMINISTIC,
        cwd=toy_root)
    return work_dir
