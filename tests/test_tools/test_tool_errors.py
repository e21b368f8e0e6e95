"""Common mistakes with the tools are one-line errors, found before any model,
runner or training is built; and the Makefile's PYTHON picks the interpreter
that creates the venv, not the one that runs the tests."""
import os
import shutil
import stat
import subprocess

import pytest

from mmps.testing import get_config_file, get_repo_root, get_tool, run_tool
from .conftest import SMOKE_CONFIG


def run_failing(tool, *args, cwd):
    """Run a tool that must fail; return its stderr (one line, no traceback)."""
    result = run_tool(tool, *args, cwd=cwd, check=False, timeout=300)
    assert result.returncode == 2, (result.returncode, result.stdout[-2000:],
                                    result.stderr[-2000:])
    assert 'Traceback' not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def checkpoint_file(tmp_path):
    path = tmp_path / 'epoch_1.pth'
    path.write_bytes(b'')
    return str(path)


def test_train_missing_config_and_resume_checkpoint(tmp_path):
    assert run_failing('train.py', 'nope.py', cwd=tmp_path) == \
        'train.py: error: config file nope.py does not exist'
    assert run_failing('train.py', SMOKE_CONFIG, '--resume', 'missing.pth',
                       cwd=tmp_path) == \
        'train.py: error: --resume checkpoint missing.pth does not exist'
    assert not (tmp_path / 'work_dirs').exists()


def test_train_training_data_the_config_needs_before_the_runner(tmp_path):
    # the OIM table size is read from the training data
    oim = get_config_file('oim/oim_tiny_synthetic.py')
    assert run_failing('train.py', oim, '--cfg-options',
                       'train_dataloader.dataset.data_root=/nonexistent/',
                       cwd=tmp_path) == \
        'train.py: error: annotation file not found: /nonexistent/annotations/' \
        'train.json (convert or generate the dataset first, see ' \
        'docs/dataset_prepare.md)'
    # anchor scales from the training heights need a head that keeps them
    config = tmp_path / 'retinanet_height_scales.py'
    config.write_text(f'_base_ = {SMOKE_CONFIG!r}\n'
                      'model = dict(bbox_head=dict(anchor_generator=dict(\n'
                      "    scales=dict(type='height_percentiles'))))\n")
    # (looking the head type up imports modules that may print third-party
    # deprecation warnings first: the error is the last line)
    result = run_tool('train.py', str(config), cwd=tmp_path, check=False)
    assert result.returncode == 2 and 'Traceback' not in result.stderr, result.stderr
    assert result.stderr.strip().splitlines()[-1] == \
        'train.py: error: model.bbox_head.anchor_generator: scales from the ' \
        'training heights need a head that keeps them in its checkpoint, ' \
        'type=PersistentAnchorRPNHead, got RetinaHead'
    assert not (tmp_path / 'work_dirs').exists()


def test_test_missing_files_and_wrong_out_before_the_runner(tmp_path, checkpoint_file):
    assert run_failing('test.py', 'nope.py', checkpoint_file, cwd=tmp_path) == \
        'test.py: error: config file nope.py does not exist'
    assert run_failing('test.py', SMOKE_CONFIG, 'missing.pth', cwd=tmp_path) == \
        'test.py: error: checkpoint missing.pth does not exist'
    # an empty checkpoint file: a Runner would fail on it, so this proves the
    # --out check comes first
    assert run_failing('test.py', SMOKE_CONFIG, checkpoint_file, '--out', 'x.json',
                       cwd=tmp_path) == \
        'test.py: error: --out must be a .pkl or .pickle file, got x.json'
    assert not (tmp_path / 'work_dirs').exists()


DIST_TRAIN_USAGE = 'usage: {} CONFIG NUM_PROCESSES [tool options...]'


@pytest.mark.parametrize('script,args,expected', [
    ('dist_train.sh', [], DIST_TRAIN_USAGE),
    ('dist_train.sh', [SMOKE_CONFIG], DIST_TRAIN_USAGE),
    ('dist_train.sh', ['nope.py', '2'
                       ], '{}: error: config file nope.py does not exist'),
    ('dist_train.sh', [SMOKE_CONFIG, 'two'],
     "{}: error: NUM_PROCESSES must be a positive integer, got 'two'"),
    ('dist_test.sh', [SMOKE_CONFIG, 'x.pth'
                      ], 'usage: {} CONFIG CHECKPOINT NUM_PROCESSES [tool options...]'),
    ('dist_test.sh', [SMOKE_CONFIG, 'missing.pth', '2'
                      ], '{}: error: checkpoint missing.pth does not exist'),
    ('slurm_train.sh', ['partition'],
     'usage: {} PARTITION JOB_NAME CONFIG WORK_DIR [tool options...]'),
    ('slurm_test.sh', [],
     'usage: {} PARTITION JOB_NAME CONFIG CHECKPOINT [tool options...]'),
])
def test_launch_scripts_print_usage(script, args, expected, tmp_path):
    assert run_failing(script, *args, cwd=tmp_path) == expected.format(get_tool(script))


def test_demo_rejects_bad_queries_before_training(tmp_path):
    work_dir = tmp_path / 'work'
    line = run_failing(
        'demo.py',
        '--queries',
        '0',
        '99',
        '--data-root',
        str(tmp_path / 'synthetic'),
        '--work-dir',
        str(work_dir),
        cwd=tmp_path)
    assert line.startswith(
        'demo.py: error: --queries: query index 99 out of range'), line
    assert not work_dir.exists()  # no training started
    assert run_failing('demo.py', '--epochs', '0', cwd=tmp_path) == \
        'demo.py: error: --epochs must be at least 1, got 0'


@pytest.mark.skipif(
    shutil.which('make') is None, reason='missing optional dependency: make')
@pytest.mark.parametrize('how', ['environment', 'command line'])
def test_makefile_python_creates_the_venv_and_the_venv_runs_the_tests(how, tmp_path):
    """``PYTHON=python3.12 make test`` (docs/get_started.md): PYTHON reaches
    tools/setup_env.sh, and pytest runs with the venv's python."""
    shutil.copy(os.path.join(get_repo_root(), 'Makefile'), tmp_path)
    (tmp_path / 'tools').mkdir()
    (tmp_path / 'tools' /
     'setup_env.sh').write_text('echo "setup_env: PYTHON=$PYTHON VENV=$VENV"\n')
    venv_python = tmp_path / '.venv' / 'bin' / 'python'
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text('#!/bin/sh\necho "venv python: $*"\n')
    venv_python.chmod(venv_python.stat().st_mode | stat.S_IEXEC)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ('PYTHON', 'VENV', 'MAKEFLAGS', 'TEST_WORKERS')
    }
    if how == 'environment':
        command, env['PYTHON'] = ['make', '-s', 'test'], 'python3.12'
    else:
        command = ['make', '-s', 'test', 'PYTHON=python3.12']
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == [
        'setup_env: PYTHON=python3.12 VENV=.venv',
        'venv python: -m pytest tests -q -p no:cacheprovider -n 2'
    ]
