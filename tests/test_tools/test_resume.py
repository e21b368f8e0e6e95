"""A crashed run resumes exactly: iteration count, optimizer state, LR schedule."""
import os.path as osp
import signal

import numpy as np
import torch

from mmps.testing import run_tool
from .conftest import DETERMINISTIC, SMOKE_CONFIG, read_scalars


def test_resume_continues_where_it_stopped(reference_run, toy_root):
    work_dir = osp.join(toy_root, 'work_interrupted')
    crashing_config = osp.join(toy_root, 'smoke_killed_after_epoch_6.py')
    with open(crashing_config, 'w') as f:
        f.write(f'_base_ = [{SMOKE_CONFIG!r}]\n'
                "custom_imports = dict(imports=['mmps.engine', 'mmps.models', "
                "'mmps.testing'])\n"
                "custom_hooks = [dict(type='NonFiniteGuardHook'), "
                "dict(type='LossDivergenceHook'), "
                "dict(type='KillAfterEpochHook', epoch=6)]\n")
    # the reference run, killed (SIGKILL) right after epoch 6 is checkpointed ...
    crashed = run_tool(
        'train.py',
        crashing_config,
        '--work-dir',
        work_dir,
        '--cfg-options',
        *DETERMINISTIC,
        cwd=toy_root,
        check=False)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-3000:]
    assert osp.isfile(osp.join(work_dir, 'epoch_6.pth'))
    assert not osp.exists(osp.join(work_dir, 'epoch_7.pth'))
    # ... then resumed from the work dir's latest checkpoint
    result = run_tool(
        'train.py',
        SMOKE_CONFIG,
        '--work-dir',
        work_dir,
        '--resume',
        '--cfg-options',
        *DETERMINISTIC,
        cwd=toy_root)
    assert 'resumed epoch: 6, iter: 24' in result.stdout + result.stderr

    resumed = read_scalars(work_dir)
    reference = read_scalars(reference_run)
    assert [r['iter'] for r in resumed] == list(range(1, 49))
    lrs = [r['lr'] for r in resumed]
    np.testing.assert_allclose(lrs, [r['lr'] for r in reference])
    assert lrs[-1] == lrs[40] < lrs[
        39]  # the x0.1 step of epoch 11 happened after resuming

    final = torch.load(osp.join(work_dir, 'epoch_12.pth'))
    expected = torch.load(osp.join(reference_run, 'epoch_12.pth'))
    assert final['meta']['iter'] == expected['meta']['iter'] == 48
    assert final['meta']['epoch'] == 12
    assert final['param_schedulers'] == expected['param_schedulers']
    for key, value in expected['state_dict'].items():
        torch.testing.assert_close(
            final['state_dict'][key], value, rtol=1e-4, atol=1e-5)
    momenta = final['optimizer']['state']
    assert len(momenta) == len(expected['optimizer']['state']) > 0
    for index, state in expected['optimizer']['state'].items():
        torch.testing.assert_close(
            momenta[index]['momentum_buffer'],
            state['momentum_buffer'],
            rtol=1e-4,
            atol=1e-5)
