"""Common mistakes with the tools are one-line errors, found before any model,
runner or training is built; and the Makefile's PYTHON picks the interpreter
that creates the venv, not the one that runs the tests."""
import os
import os.path as osp
import shutil
import stat
import subprocess
import sys

import pytest

from .conftest import REPO_ROOT, SMOKE_CONFIG

TOOLS = osp.join(REPO_ROOT, 'tools')


def run_failing(args, cwd, **env_vars):
    """Run a tool that must fail; return its stderr (one line, no traceback)."""
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1', **env_vars)
    command = args if args[0].endswith('.sh') else [sys.executable, *args]
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=300)
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
    train = osp.join(TOOLS, 'train.py')
    assert run_failing([train, 'nope.py'], tmp_path) == \
        'train.py: error: config file nope.py does not exist'
    assert run_failing([train, SMOKE_CONFIG, '--resume', 'missing.pth'], tmp_path) == \
        'train.py: error: --resume checkpoint missing.pth does not exist'
    assert not (tmp_path / 'work_dirs').exists()


def test_test_missing_files_and_wrong_out_before_the_runner(tmp_path, checkpoint_file):
    test = osp.join(TOOLS, 'test.py')
    assert run_failing([test, 'nope.py', checkpoint_file], tmp_path) == \
        'test.py: error: config file nope.py does not exist'
    assert run_failing([test, SMOKE_CONFIG, 'missing.pth'], tmp_path) == \
        'test.py: error: checkpoint missing.pth does not exist'
    # an empty checkpoint file: a Runner would fail on it, so this proves the
    # --out check comes first
    assert run_failing([test, SMOKE_CONFIG, checkpoint_file, '--out', 'x.json'],
                       tmp_path) == \
        'test.py: error: --out must be a .pkl or .pickle file, got x.json'
    assert not (tmp_path / 'work_dirs').exists()


DIST_TRAIN_USAGE = 'usage: {} CONFIG NUM_PROCESSES [tool options...]'


@pytest.mark.parametrize('script,args,expected', [
    ('dist_train.sh', [], DIST_TRAIN_USAGE),
    ('dist_train.sh', [SMOKE_CONFIG], DIST_TRAIN_USAGE),
    ('dist_train.sh', ['nope.py', '2'],
     '{}: error: config file nope.py does not exist'),
    ('dist_train.sh', [SMOKE_CONFIG, 'two'],
     "{}: error: NUM_PROCESSES must be a positive integer, got 'two'"),
    ('dist_test.sh', [SMOKE_CONFIG, 'x.pth'],
     'usage: {} CONFIG CHECKPOINT NUM_PROCESSES [tool options...]'),
    ('dist_test.sh', [SMOKE_CONFIG, 'missing.pth', '2'],
     '{}: error: checkpoint missing.pth does not exist'),
    ('slurm_train.sh', ['partition'],
     'usage: {} PARTITION JOB_NAME CONFIG WORK_DIR [tool options...]'),
    ('slurm_test.sh', [],
     'usage: {} PARTITION JOB_NAME CONFIG CHECKPOINT [tool options...]'),
])
def test_launch_scripts_print_usage(script, args, expected, tmp_path):
    path = osp.join(TOOLS, script)
    assert run_failing([path, *args], tmp_path) == expected.format(path)


def test_demo_rejects_bad_queries_before_training(tmp_path):
    work_dir = tmp_path / 'work'
    demo = osp.join(TOOLS, 'demo.py')
    line = run_failing([demo, '--queries', '0', '99', '--data-root',
                        str(tmp_path / 'synthetic'), '--work-dir', str(work_dir)],
                       tmp_path)
    assert line.startswith(
        'demo.py: error: --queries: query index 99 out of range'), line
    assert not work_dir.exists()  # no training started
    assert run_failing([demo, '--epochs', '0'], tmp_path) == \
        'demo.py: error: --epochs must be at least 1, got 0'


@pytest.mark.skipif(shutil.which('make') is None, reason='needs make')
@pytest.mark.parametrize('how', ['environment', 'command line'])
def test_makefile_python_creates_the_venv_and_the_venv_runs_the_tests(how, tmp_path):
    """``PYTHON=python3.12 make test`` (docs/get_started.md): PYTHON reaches
    tools/setup_env.sh, and pytest runs with the venv's python."""
    shutil.copy(osp.join(REPO_ROOT, 'Makefile'), tmp_path)
    (tmp_path / 'tools').mkdir()
    (tmp_path / 'tools' / 'setup_env.sh').write_text(
        'echo "setup_env: PYTHON=$PYTHON VENV=$VENV"\n')
    venv_python = tmp_path / '.venv' / 'bin' / 'python'
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text('#!/bin/sh\necho "venv python: $*"\n')
    venv_python.chmod(venv_python.stat().st_mode | stat.S_IEXEC)
    env = {k: v for k, v in os.environ.items()
           if k not in ('PYTHON', 'VENV', 'MAKEFLAGS')}
    if how == 'environment':
        command, env['PYTHON'] = ['make', '-s', 'test'], 'python3.12'
    else:
        command = ['make', '-s', 'test', 'PYTHON=python3.12']
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True,
                            text=True, check=True)
    assert result.stdout.splitlines() == [
        'setup_env: PYTHON=python3.12 VENV=.venv',
        'venv python: -m pytest tests -q -p no:cacheprovider']
