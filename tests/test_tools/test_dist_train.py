"""tools/dist_train.sh and dist_test.sh start two processes on a CPU-only machine."""
import os.path as osp
from glob import glob

import torch

from mmps.testing import free_port, run_tool
from .conftest import SMOKE_CONFIG

# the CPU (gloo) launch, also on a machine with GPUs
CPU_ONLY = dict(CUDA_VISIBLE_DEVICES='')


def test_dist_train_and_test_two_processes(toy_root):
    work_dir = osp.join(toy_root, 'work_dist')
    run_tool(
        'dist_train.sh',
        SMOKE_CONFIG,
        '2',
        '--work-dir',
        work_dir,
        '--cfg-options',
        'train_cfg.max_epochs=2',
        cwd=toy_root,
        env=dict(CPU_ONLY, PORT=str(free_port())))
    logs = glob(osp.join(work_dir, '*', '*.log'))
    assert len(logs) == 1
    with open(logs[0]) as f:
        log = f.read()
    assert 'Distributed training: True' in log
    assert 'World size: 2 (backend: gloo)' in log
    # 16 images, batch 4 per process: 2 iterations per epoch and process
    assert 'Epoch(train) [2][2/2]' in log
    checkpoint = torch.load(osp.join(work_dir, 'epoch_2.pth'))
    assert checkpoint['meta']['iter'] == 4

    result = run_tool(
        'dist_test.sh',
        SMOKE_CONFIG,
        osp.join(work_dir, 'epoch_2.pth'),
        '2',
        '--work-dir',
        osp.join(toy_root, 'work_dist_test'),
        cwd=toy_root,
        env=dict(CPU_ONLY, PORT=str(free_port())))
    output = result.stdout + result.stderr
    assert 'World size: 2 (backend: gloo)' in output
    # 16 test images, batch 4, split over two processes
    assert 'Epoch(test) [2/2]' in output
