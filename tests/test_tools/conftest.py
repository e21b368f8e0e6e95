import json
import os
import os.path as osp
import socket
import subprocess
import sys
from glob import glob
from typing import List

import pytest

from mmps.testing import make_toy_detection_dataset

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SMOKE_CONFIG = osp.join(REPO_ROOT, 'configs', 'smoke', 'smoke_retinanet_tiny.py')
# deterministic runs: fixed seed, no random flip
DETERMINISTIC = ['randomness.seed=0', 'train_dataloader.dataset.pipeline.3.prob=0.0']


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def run_tool(args: List[str], cwd: str, timeout: int = 600,
             **env_vars: str) -> subprocess.CompletedProcess:
    """Run a python tool or shell script of the repository; fail with its output."""
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1', **env_vars)
    command = args if args[0].endswith('.sh') else [sys.executable, *args]
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, (
        f'{" ".join(command)} failed ({result.returncode}):\n'
        f'{result.stdout[-3000:]}\n{result.stderr[-6000:]}')
    return result


def read_scalars(work_dir: str) -> List[dict]:
    """The training log records (``vis_data/scalars.json``) of every run in a work dir."""
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
    run_tool([osp.join(REPO_ROOT, 'tools', 'train.py'), SMOKE_CONFIG, '--work-dir', work_dir,
              '--cfg-options', *DETERMINISTIC], cwd=toy_root)
    return work_dir
