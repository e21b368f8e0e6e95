"""Training stops at the first non-finite loss, gradient norm or weight with
one line naming the iteration and the value, and saves nothing after it
(issue #18, "Training numerics").

The smoke RetinaNet trains on the toy dataset, 4 iterations an epoch, with
``InjectNonFiniteHook`` beside the default hooks of
``configs/_base_/default_runtime.py``."""
import os.path as osp
import re
from glob import glob
from subprocess import CompletedProcess
from typing import Tuple

import pytest
import torch
from mmengine.config import Config

from mmps.testing import (get_config_file, get_repo_root, last_line,
                          make_toy_detection_dataset, run_tool)

SMOKE_CONFIG = get_config_file('smoke/smoke_retinanet_tiny.py')
RUNTIME_CONFIG = get_config_file('_base_/default_runtime.py')
PARAM = 'bbox_head.retina_reg.bias'  # read by loss_bbox only
STOPPED = 'training stopped before saving this iteration'


@pytest.fixture(scope='module')
def toy_root(tmp_path_factory) -> str:
    """A folder holding ``data/toy_det`` where the smoke config expects it."""
    root = str(tmp_path_factory.mktemp('numerics'))
    make_toy_detection_dataset(osp.join(root, 'data', 'toy_det'))
    return root


def train_with_injection(root: str,
                         name: str,
                         extra: str = '',
                         **injection) -> Tuple[CompletedProcess, str]:
    """Train the smoke config for 3 epochs with the default hooks and
    ``InjectNonFiniteHook(**injection)``; ``extra`` is appended to the
    config. Returns the finished process and the work dir."""
    runtime = Config.fromfile(RUNTIME_CONFIG)
    imports = runtime.custom_imports.imports + ['mmps.testing.nonfinite_injection_hook']
    hooks = [dict(hook) for hook in runtime.custom_hooks]
    hooks.append(dict(type='InjectNonFiniteHook', **injection))
    config = osp.join(root, f'{name}.py')
    with open(config, 'w') as f:
        f.write(f'_base_ = [{SMOKE_CONFIG!r}]\n'
                f'custom_imports = dict(imports={imports!r})\n'
                f'custom_hooks = {hooks!r}\n'
                f'train_cfg = dict(max_epochs=3)\n{extra}')
    work_dir = osp.join(root, name)
    result = run_tool(
        'train.py',
        config,
        '--work-dir',
        work_dir,
        '--cfg-options',
        'randomness.seed=0',
        cwd=root,
        check=False)
    return result, work_dir


def assert_stopped_with(result, message: str) -> None:
    """Exit status 1 and ``message`` (a regular expression) as the one-line
    error, no traceback."""
    assert result.returncode == 1, result.stderr[-3000:]
    assert 'Traceback' not in result.stderr, result.stderr[-3000:]
    assert re.fullmatch(f'train\\.py: error: {message}', last_line(result)), \
        last_line(result)


def assert_only_epoch_1_saved(work_dir: str) -> None:
    """The epoch before the failure is the newest checkpoint, it is finite
    and ``last_checkpoint`` points at it."""
    assert [osp.basename(path)
            for path in glob(osp.join(work_dir, '*.pth'))] == ['epoch_1.pth']
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert osp.basename(f.read().strip()) == 'epoch_1.pth'
    checkpoint = torch.load(osp.join(work_dir, 'epoch_1.pth'), map_location='cpu')
    assert checkpoint['meta']['iter'] == 4
    for key, value in checkpoint['state_dict'].items():
        assert not value.is_floating_point() or torch.isfinite(value).all(), key


def test_nonfinite_loss_stops_before_anything_is_saved(toy_root):
    """A NaN weight (a corrupted checkpoint, an earlier blow-up) gives a NaN
    loss_bbox at iteration 6: epoch 2 is never saved."""
    result, work_dir = train_with_injection(
        toy_root, 'nan_loss', iteration=6, param=PARAM, target='weight')
    assert_stopped_with(
        result, r'non-finite loss at iteration 6 \(epoch 2, batch 2 of 4; '
        rf'images [\w., ]+\): loss_bbox=nan; {STOPPED}')
    # the logger hook runs first: the log shows the iteration that failed
    assert re.search(r'Epoch\(train\) +\[2\]\[2/4\].* loss_bbox: nan', result.stdout)
    assert_only_epoch_1_saved(work_dir)


@pytest.mark.parametrize(
    'clip_grad, problem',
    [(None, rf'weight after the update at ITERATION: {PARAM} \(losses finite\)'),
     (dict(max_norm=10.), r'gradient norm at ITERATION: grad_norm=nan')],
    ids=['no_clip_grad', 'clip_grad'])
def test_nonfinite_gradient_with_finite_loss_stops_before_the_epoch_is_saved(
        toy_root, clip_grad, problem):
    """A NaN gradient at the last iteration of epoch 2 leaves its loss
    finite; without the check, the epoch's checkpoint would hold NaN."""
    result, work_dir = train_with_injection(
        toy_root,
        f'nan_grad_{clip_grad is not None}',
        f'optim_wrapper = dict(clip_grad={clip_grad!r})\n',
        iteration=8,
        param=PARAM,
        target='grad')
    where = r'iteration 8 \(epoch 2, batch 4 of 4; images [\w., ]+\)'
    assert_stopped_with(result,
                        f'non-finite {problem.replace("ITERATION", where)}; {STOPPED}')
    assert_only_epoch_1_saved(work_dir)


def test_every_config_keeps_the_guard():
    """The hooks come from default_runtime.py; a config setting its own
    ``custom_hooks`` replaces that list and must list the guard again."""
    runtime = Config.fromfile(RUNTIME_CONFIG)
    assert [hook.type for hook in runtime.custom_hooks
            ] == ['NonFiniteGuardHook', 'LossDivergenceHook']
    config_root = osp.join(get_repo_root(), 'configs')
    dropping = []
    for path in glob(osp.join(config_root, '**', '*.py'), recursive=True):
        with open(path) as f:
            text = f.read()
        if re.search(r'^custom_hooks\s*=', text, re.M) \
                and 'NonFiniteGuardHook' not in text:
            dropping.append(osp.relpath(path, config_root))
    assert dropping == []
