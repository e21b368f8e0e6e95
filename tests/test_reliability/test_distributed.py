"""Issue #18, section 6: killing the launcher of a distributed run stops its
workers within seconds, and the launch scripts run the project's venv
interpreter when there is one."""
import os
import os.path as osp
import shutil
import signal
import stat
import subprocess
import sys
import time
from typing import List

import pytest

from mmps.testing import (free_port, get_config_file, get_tool,
                          make_toy_detection_dataset)

SMOKE_CONFIG = get_config_file('smoke/smoke_retinanet_tiny.py')
STOP_WITHIN_S = 10  # the watchdog looks every second


def process_state(pid: int) -> str:
    """The state letter of ``/proc/PID/stat`` (``''``: no such process)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return ''


def running(pid: int) -> bool:
    """The process exists and is no zombie (an exited orphan may wait to be
    reaped)."""
    return process_state(pid) not in ('', 'Z', 'X')


def children_running(pid: int, script: str) -> List[int]:
    """The processes whose parent is ``pid`` and whose command line holds
    ``script``."""
    found = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open(f'/proc/{entry}/stat') as f:
                    parent = int(f.read().rsplit(')', 1)[1].split()[1])
                with open(f'/proc/{entry}/cmdline', 'rb') as f:
                    command = f.read().decode(errors='replace')
            except (FileNotFoundError, ProcessLookupError):
                continue
            if parent == pid and script in command:
                found.append(int(entry))
    return found


@pytest.mark.skipif(
    not osp.isdir('/proc'), reason='missing optional dependency: /proc (Linux)')
def test_killing_the_launcher_stops_both_workers(tmp_path):
    make_toy_detection_dataset(str(tmp_path / 'data' / 'toy_det'))
    work_dir = tmp_path / 'work'
    env = dict(
        os.environ,
        PYTHON=sys.executable,
        OMP_NUM_THREADS='1',
        CUDA_VISIBLE_DEVICES='',
        PORT=str(free_port()))
    with open(tmp_path / 'launcher.log', 'w') as log:
        launcher = subprocess.Popen([
            'bash',
            get_tool('dist_train.sh'), SMOKE_CONFIG, '2', '--work-dir',
            str(work_dir), '--cfg-options', 'train_cfg.max_epochs=1000',
            'train_cfg.val_interval=1000'
        ],
                                    cwd=tmp_path,
                                    env=env,
                                    stdout=log,
                                    stderr=subprocess.STDOUT)
    workers: List[int] = []
    try:
        # training is under way once the first checkpoint is written
        deadline = time.monotonic() + 240
        while not (work_dir / 'epoch_1.pth').exists():
            assert launcher.poll() is None and time.monotonic() < deadline, \
                (tmp_path / 'launcher.log').read_text()[-3000:]
            time.sleep(0.5)
        # dist_train.sh execs torchrun: the workers are its children
        workers = children_running(launcher.pid, 'train.py')
        assert len(workers) == 2, workers
        launcher.kill()
        launcher.wait()
        deadline = time.monotonic() + STOP_WITHIN_S
        while any(running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(running(pid) for pid in workers), (
            f'workers still running {STOP_WITHIN_S} s after the launcher was killed\n' +
            (tmp_path / 'launcher.log').read_text()[-3000:])
        assert 'its launcher (pid {}) is gone; stopping'.format(launcher.pid) in \
            (tmp_path / 'launcher.log').read_text()
        # nothing goes on writing to the work dir
        files = sorted(os.listdir(work_dir))
        time.sleep(1.5)
        assert sorted(os.listdir(work_dir)) == files
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
        for pid in workers:
            if running(pid):
                os.kill(pid, signal.SIGKILL)


SCRIPTS = {
    # script: (arguments after the config, what follows the interpreter)
    'dist_train.sh': (['2'], '-m torch.distributed.run'),
    'dist_test.sh': (['ckpt.pth', '2'], '-m torch.distributed.run'),
    'slurm_train.sh': (['work'], '-u {repo}/tools/train.py'),
    'slurm_test.sh': (['ckpt.pth'], '-u {repo}/tools/test.py'),
}


def fake_program(path, label: str) -> str:
    """An executable that prints ``label`` and its arguments."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\necho "{label} $*"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


@pytest.mark.parametrize('choice', ['venv', 'PYTHON', 'PATH'])
@pytest.mark.parametrize('script', list(SCRIPTS))
def test_launch_scripts_run_the_venv_python(script, choice, tmp_path):
    """The repository's ``.venv/bin/python`` when it exists (even with PYTHON
    set, which make reads as the interpreter that creates the venv), else
    ``$PYTHON``, else the ``python`` on PATH."""
    repo = tmp_path / 'repo'
    (repo / 'tools').mkdir(parents=True)
    for name in (script, 'launch_env.sh'):
        shutil.copy(get_tool(name), repo / 'tools')
    (repo / 'cfg.py').write_text('')
    (repo / 'ckpt.pth').write_bytes(b'')
    bin_dir = tmp_path / 'bin'
    fake_program(bin_dir / 'python', 'python on PATH')
    fake_program(bin_dir / 'srun', 'srun')
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHON', 'VENV')}
    env['PATH'] = f'{bin_dir}{os.pathsep}{env["PATH"]}'
    if choice == 'venv':
        fake_program(repo / '.venv' / 'bin' / 'python', 'venv python')
        env['PYTHON'] = fake_program(tmp_path / 'other' / 'python', 'PYTHON')
        expected = 'venv python'
    elif choice == 'PYTHON':
        env['PYTHON'] = fake_program(tmp_path / 'other' / 'python', 'PYTHON')
        expected = 'PYTHON'
    else:
        expected = 'python on PATH'
    args, then = SCRIPTS[script]
    prefix = ['part', 'job'] if script.startswith('slurm') else []
    result = subprocess.run(
        ['bash', str(repo / 'tools' / script), *prefix, 'cfg.py', *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    then = then.format(repo=repo)
    if script.startswith('slurm'):
        # srun runs the interpreter; the fake srun prints its command line
        interpreter = {
            'venv python': f'{repo}/.venv/bin/python',
            'PYTHON': env.get('PYTHON', ''),
            'python on PATH': 'python'
        }[expected]
        assert lines[0].startswith(
            'srun -p part ') and f' {interpreter} {then}' in lines[0]
    else:
        assert lines[0].startswith(f'{expected} {then} ')
    assert sorted(os.listdir(repo)) == sorted(['tools', 'cfg.py', 'ckpt.pth'] +
                                              (['.venv'] if choice == 'venv' else []))
