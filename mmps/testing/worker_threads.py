"""Torch threads of a pytest-xdist worker."""
import os
from typing import Mapping, Optional


def threads_per_worker(environ: Optional[Mapping[str, str]] = None,
                       cores: Optional[int] = None) -> Optional[int]:
    """The torch threads each pytest-xdist worker should use: the cores
    shared out between the workers, at least one.

    Under ``pytest -n N`` the N workers run at once; with torch's default
    (one intra-op thread per core) each, N x cores threads contend for the
    cores, and OpenMP's barriers spin while their partner threads wait to
    be scheduled: the tiny models' many small operations then cost far
    more CPU time than on one thread.

    Args:
        environ (Mapping[str, str], optional): The environment; None reads
            ``os.environ`` (xdist sets ``PYTEST_XDIST_WORKER_COUNT`` in its
            workers). Defaults to None.
        cores (int, optional): Usable cores; None counts this process's CPU
            affinity. Defaults to None.

    Returns:
        int | None: Threads per worker, or None outside an xdist worker
        (leave torch's default).

    Example:
        >>> threads_per_worker({'PYTEST_XDIST_WORKER_COUNT': '2'}, cores=2)
        1
        >>> threads_per_worker({}, cores=2) is None
        True
    """
    environ = os.environ if environ is None else environ
    workers = int(environ.get('PYTEST_XDIST_WORKER_COUNT', '0') or 0)
    if workers < 1:
        return None
    if cores is None:
        cores = len(os.sched_getaffinity(0))
    return max(1, cores // workers)
