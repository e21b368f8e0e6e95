"""Tests of start_launcher_watchdog: a process started by a launcher ends
soon after the launcher is killed; no watchdog without torchrun."""
import os
import signal
import subprocess
import sys
import time

import pytest

from mmps.utils import start_launcher_watchdog

WORKER = ('import sys, time; from mmps.utils import start_launcher_watchdog; '
          "start_launcher_watchdog('pytorch', interval=0.1); "
          "print('ready', flush=True); time.sleep(60)")


@pytest.mark.skipif(
    not os.path.isdir('/proc'), reason='missing optional dependency: /proc (Linux)')
def test_the_worker_ends_when_its_launcher_is_killed(tmp_path):
    # the launcher: a shell that starts the worker, says its pid and waits
    log = tmp_path / 'worker.log'
    log.write_text('')
    launcher = subprocess.Popen(
        ['sh', '-c', f'"{sys.executable}" -c "{WORKER}" >{log} 2>&1 & echo $!; wait'],
        stdout=subprocess.PIPE,
        text=True)
    worker = int(launcher.stdout.readline())
    try:
        deadline = time.monotonic() + 60
        while 'ready' not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        launcher.kill()
        launcher.wait()
        deadline = time.monotonic() + 5
        while _running(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _running(worker), 'the worker outlived its launcher by 5 s'
        assert log.read_text().splitlines()[-1] == (
            f'rank ? (pid {worker}): its launcher (pid {launcher.pid}) is gone; '
            'stopping')
    finally:
        if _running(worker):
            os.kill(worker, signal.SIGKILL)
        launcher.stdout.close()


def _running(pid: int) -> bool:
    """The process exists and is no zombie."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] not in ('Z', 'X')
    except FileNotFoundError:
        return False


@pytest.mark.parametrize('launcher', ['none', 'slurm', 'mpi'])
def test_no_watchdog_without_torchrun(launcher):
    assert start_launcher_watchdog(launcher) is None
