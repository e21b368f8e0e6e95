"""Checkpoints load completely, finitely and exactly or not at all, with one
line naming the file; saves survive a kill at any byte (issue #18,
"Checkpoints").

The tools run the smoke RetinaNet on the toy dataset (4 iterations an
epoch); ``search_demo.py`` and :func:`mmps.apis.init_searcher` the tiny OIM.
Every bad checkpoint is made here from a good one."""
import os
import os.path as osp
import re
import signal
from subprocess import CompletedProcess

import cv2
import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

from mmps.apis import init_searcher
from mmps.testing import (get_config_file, last_line, make_toy_detection_dataset,
                          run_tool)
from mmps.utils.strict_checkpoint import CheckpointError, read_checkpoint

SMOKE_CONFIG = get_config_file('smoke/smoke_retinanet_tiny.py')
RUNTIME_CONFIG = get_config_file('_base_/default_runtime.py')
OIM_CONFIG = get_config_file('oim/oim_tiny_synthetic.py')
REG_KEYS = ['bbox_head.retina_reg.bias', 'bbox_head.retina_reg.weight']
KILL_AT_BYTE = 4096  # of epoch 2's checkpoint
# a test-only module that SIGKILLs the training process in the middle of
# writing epoch 2's checkpoint, whatever name the hook writes it under
DIE_DURING_SAVE = f'''
import os
import signal

from mmengine.fileio import LocalBackend

_put = LocalBackend.put


def _put_and_die(self, obj, filepath):
    if os.path.basename(str(filepath)).startswith('epoch_2.pth'):
        with open(filepath, 'wb') as f:
            f.write(obj[:{KILL_AT_BYTE}])
            f.flush()
            os.fsync(f.fileno())
        os.kill(os.getpid(), signal.SIGKILL)
    _put(self, obj, filepath)


LocalBackend.put = _put_and_die
'''


@pytest.fixture(scope='module')
def toy_root(tmp_path_factory) -> str:
    """A folder holding ``data/toy_det`` where the smoke config expects it."""
    root = str(tmp_path_factory.mktemp('checkpoints'))
    make_toy_detection_dataset(osp.join(root, 'data', 'toy_det'))
    return root


@pytest.fixture(scope='module')
def smoke_state() -> dict:
    """A checkpoint of the smoke RetinaNet (random weights), as a dict."""
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(SMOKE_CONFIG).model)
    return {'meta': {}, 'state_dict': model.state_dict()}


def save(checkpoint: dict, path) -> str:
    torch.save(checkpoint, str(path))
    return str(path)


def truncated(good: str, path, size: int) -> str:
    """The first ``size`` bytes of the file ``good``, written to ``path``."""
    with open(good, 'rb') as f:
        path.write_bytes(f.read(size))
    return str(path)


def assert_one_line_error(result: CompletedProcess, message: str) -> None:
    """Exit status 1, no traceback, ``message`` (a regular expression) as
    the last line of stderr."""
    assert result.returncode == 1, (result.returncode, result.stderr[-3000:])
    assert 'Traceback' not in result.stderr, result.stderr[-3000:]
    assert re.fullmatch(message, last_line(result)), last_line(result)


def test_test_refuses_a_checkpoint_missing_keys_unless_allowed(
        toy_root, smoke_state, tmp_path):
    state = {k: v for k, v in smoke_state['state_dict'].items() if k not in REG_KEYS}
    partial = save({'meta': {}, 'state_dict': state}, tmp_path / 'no_reg.pth')
    out = tmp_path / 'results.pkl'
    args = [SMOKE_CONFIG, partial, '--work-dir', tmp_path / 'work', '--out', out]
    result = run_tool('test.py', *args, cwd=toy_root, check=False)
    assert_one_line_error(
        result,
        re.escape(f'test.py: error: checkpoint {partial} does not match the config '
                  f'{SMOKE_CONFIG}: model keys missing from it (2): '
                  f'{", ".join(REG_KEYS)}. It holds the weights of another model: '
                  'use the config it was trained with, or set '
                  'allow_partial_checkpoint=True (tools: --allow-partial-checkpoint) '
                  'to load only the matching tensors, e.g. to fine-tune'))
    assert not out.exists()  # stopped before the test loop
    run_tool('test.py', *args, '--allow-partial-checkpoint', cwd=toy_root)
    assert out.exists()


def test_test_refuses_non_finite_weights_naming_the_first(toy_root, smoke_state,
                                                          tmp_path):
    state = dict(smoke_state['state_dict'])
    state['neck.fpn_convs.1.conv.weight'] = state['neck.fpn_convs.1.conv.weight'] * \
        float('nan')
    state['bbox_head.retina_cls.bias'] = torch.full_like(
        state['bbox_head.retina_cls.bias'], float('inf'))
    path = save({'meta': {}, 'state_dict': state}, tmp_path / 'nan.pth')
    out = tmp_path / 'results.pkl'
    result = run_tool(
        'test.py', SMOKE_CONFIG, path, '--out', out, cwd=toy_root, check=False)
    assert_one_line_error(
        result,
        re.escape(f'test.py: error: checkpoint {path} holds non-finite values (nan) '
                  'in neck.fpn_convs.1.conv.weight: ') + '.*')
    assert not out.exists()


def test_empty_and_truncated_checkpoints_are_one_line(toy_root, smoke_state, tmp_path):
    good = save(smoke_state, tmp_path / 'good.pth')
    size = os.path.getsize(good) // 2
    message = 'checkpoint {} is truncated or not a PyTorch checkpoint ({} bytes)'

    empty = truncated(good, tmp_path / 'empty.pth', 0)
    result = run_tool('test.py', SMOKE_CONFIG, empty, cwd=toy_root, check=False)
    assert_one_line_error(result,
                          re.escape('test.py: error: ' + message.format(empty, 0)))

    half = truncated(good, tmp_path / 'half.pth', size)
    work_dir = tmp_path / 'resumed'
    result = run_tool(
        'train.py',
        SMOKE_CONFIG,
        '--resume',
        half,
        '--work-dir',
        work_dir,
        cwd=toy_root,
        check=False)
    assert_one_line_error(result,
                          re.escape('train.py: error: ' + message.format(half, size)))
    assert not list(work_dir.glob('*.pth'))  # no training happened

    image = str(tmp_path / 'scene.png')
    cv2.imwrite(image, np.full((80, 120, 3), 128, np.uint8))
    out = tmp_path / 'search.png'
    result = run_tool(
        'search_demo.py',
        image,
        '--box',
        '10',
        '10',
        '40',
        '70',
        '--gallery',
        str(tmp_path),
        '--config',
        OIM_CONFIG,
        '--checkpoint',
        half,
        '--out',
        out,
        cwd=tmp_path,
        check=False)
    assert_one_line_error(
        result, re.escape('search_demo: error: ' + message.format(half, size)))
    assert not out.exists()


@pytest.fixture(scope='module')
def oim_checkpoint(tmp_path_factory) -> str:
    """A checkpoint of the tiny OIM (random weights, 5 identities)."""
    torch.manual_seed(0)
    searcher = init_searcher(
        OIM_CONFIG,
        cfg_options={'model.roi_head.reid_head.loss_reid.num_person_ids': 5})
    return save({
        'meta': {},
        'state_dict': searcher.state_dict()
    },
                tmp_path_factory.mktemp('oim') / 'oim.pth')


def test_init_searcher_refuses_unreadable_and_non_finite_checkpoints(
        oim_checkpoint, tmp_path):
    empty = truncated(oim_checkpoint, tmp_path / 'empty.pth', 0)
    with pytest.raises(
            CheckpointError,
            match=re.escape(f'checkpoint {empty} is '
                            'truncated or not a PyTorch '
                            'checkpoint (0 bytes)')):
        init_searcher(OIM_CONFIG, empty)
    checkpoint = torch.load(oim_checkpoint)
    checkpoint['state_dict']['roi_head.reid_head.loss_reid.lut'][2, 3] = float('inf')
    path = save(checkpoint, tmp_path / 'inf.pth')
    with pytest.raises(
            CheckpointError,
            match=re.escape(f'checkpoint {path} holds non-finite values '
                            '(inf) in roi_head.reid_head.loss_reid.lut')):
        init_searcher(OIM_CONFIG, path)


def test_train_load_from_is_strict_unless_allowed(toy_root, smoke_state, tmp_path):
    state = {k: v for k, v in smoke_state['state_dict'].items() if k not in REG_KEYS}
    partial = save({'meta': {}, 'state_dict': state}, tmp_path / 'no_reg.pth')
    work_dir = tmp_path / 'work'
    args = [
        SMOKE_CONFIG, '--work-dir', work_dir, '--cfg-options', f'load_from={partial}',
        'train_cfg.max_epochs=1'
    ]
    result = run_tool('train.py', *args, cwd=toy_root, check=False)
    assert_one_line_error(
        result,
        re.escape(f'train.py: error: checkpoint {partial} does not match the config '
                  f'{SMOKE_CONFIG}: model keys missing from it (2): ') + '.*' +
        re.escape('--allow-partial-checkpoint') + '.*')
    assert not list(work_dir.glob('*.pth'))
    run_tool('train.py', *args, '--allow-partial-checkpoint', cwd=toy_root)
    assert read_checkpoint(str(work_dir / 'epoch_1.pth'))['meta']['epoch'] == 1


def recorded(work_dir) -> str:
    """The file name that ``last_checkpoint`` names."""
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return osp.basename(f.read())


def test_kill_during_save_keeps_the_previous_checkpoint_and_resume_continues(
        toy_root, tmp_path):
    (tmp_path / 'die_during_save.py').write_text(DIE_DURING_SAVE)
    imports = Config.fromfile(RUNTIME_CONFIG).custom_imports.imports
    config = tmp_path / 'smoke_dies_saving_epoch_2.py'
    config.write_text(
        f'_base_ = [{SMOKE_CONFIG!r}]\n'
        f'custom_imports = dict(imports={imports + ["die_during_save"]!r})\n')
    work_dir = tmp_path / 'work'
    pythonpath = os.pathsep.join(
        filter(None, [str(tmp_path), os.environ.get('PYTHONPATH')]))
    killed = run_tool(
        'train.py',
        config,
        '--work-dir',
        work_dir,
        '--cfg-options',
        'train_cfg.max_epochs=3',
        cwd=toy_root,
        check=False,
        env={'PYTHONPATH': pythonpath})
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    # the interrupted save is a partial file, under no checkpoint's name
    assert os.path.getsize(work_dir / 'epoch_2.pth.partial') == KILL_AT_BYTE
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['epoch_1.pth']
    assert recorded(work_dir) == 'epoch_1.pth'
    assert read_checkpoint(str(work_dir / 'epoch_1.pth'))['meta']['iter'] == 4

    resumed = run_tool(
        'train.py',
        SMOKE_CONFIG,
        '--work-dir',
        work_dir,
        '--resume',
        '--cfg-options',
        'train_cfg.max_epochs=2',
        cwd=toy_root)
    assert 'resumed epoch: 1, iter: 4' in resumed.stdout + resumed.stderr
    assert read_checkpoint(str(work_dir / 'epoch_2.pth'))['meta']['iter'] == 8
    assert recorded(work_dir) == 'epoch_2.pth'
    assert not (work_dir / 'epoch_2.pth.partial').exists()

    # a newest checkpoint cut short (e.g. copied in part): the one before it
    size = os.path.getsize(work_dir / 'epoch_2.pth') // 3
    truncated(str(work_dir / 'epoch_2.pth'), work_dir / 'epoch_2.pth', size)
    resumed = run_tool(
        'train.py',
        SMOKE_CONFIG,
        '--work-dir',
        work_dir,
        '--resume',
        '--cfg-options',
        'train_cfg.max_epochs=3',
        cwd=toy_root)
    log = resumed.stdout + resumed.stderr
    warnings = [line for line in log.splitlines() if 'newest loadable' in line]
    assert len(warnings) == 1, log[-3000:]
    assert warnings[0].endswith(
        f'checkpoint {work_dir}/epoch_2.pth is truncated or not a PyTorch '
        f'checkpoint ({size} bytes); resuming from {work_dir}/epoch_1.pth, the '
        f'newest loadable checkpoint of {work_dir}'), warnings[0]
    assert 'resumed epoch: 1, iter: 4' in log
    assert read_checkpoint(str(work_dir / 'epoch_3.pth'))['meta']['iter'] == 12
