"""Workers of a distributed launch stop when their launcher dies.

torchrun starts each worker in a session of its own and stops the workers
when it is interrupted or terminated; killed with SIGKILL (or by the OOM
killer) it can do nothing, and its workers would go on training, writing
checkpoints that nobody waits for. :func:`start_launcher_watchdog` makes each
worker notice: a daemon thread polls the parent process id, which changes
when the parent (torchrun) dies and the worker is re-parented, and then ends
the worker at once.
"""
import os
import sys
import threading
import time
from typing import Optional


def _watch(parent: int, interval: float) -> None:
    """Poll until the parent process changes, then end this process."""
    while os.getppid() == parent:
        time.sleep(interval)
    rank = os.environ.get('RANK', '?')
    sys.stderr.write(f'rank {rank} (pid {os.getpid()}): its launcher (pid {parent}) '
                     'is gone; stopping\n')
    sys.stderr.flush()
    # at once, whatever the main thread does (e.g. waiting in a collective)
    os._exit(1)


def start_launcher_watchdog(launcher: str,
                            interval: float = 1.0) -> Optional[threading.Thread]:
    """End this process within ``interval`` seconds of its launcher's death.

    Only for ``launcher == 'pytorch'`` (a worker that torchrun,
    ``tools/dist_train.sh`` or ``tools/dist_test.sh`` started); slurm
    stops its own tasks.

    Args:
        launcher (str): The tool's ``--launcher``: ``'none'``,
            ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        interval (float): Seconds between two looks at the parent process.
            Defaults to 1.0.

    Returns:
        threading.Thread | None: The (daemon) watchdog thread, or None when
        none is needed.
    """
    if launcher != 'pytorch' or os.name != 'posix':
        return None
    watchdog = threading.Thread(
        target=_watch,
        args=(os.getppid(), interval),
        name='mmps-launcher-watchdog',
        daemon=True)
    watchdog.start()
    return watchdog
