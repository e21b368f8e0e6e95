"""Paths of the source tree and the one way tests run a tool, as
``mmdet/testing/_utils.py`` gives mmdet's tests their configs."""
import os
import os.path as osp
import socket
import subprocess
import sys
from typing import Optional

import mmps


def get_repo_root() -> str:
    """The source tree holding ``configs/`` and ``tools/``.

    mmps is installed editable (``tools/setup_env.sh``), so the folder above
    the package is the repository; a regular install carries both folders in
    ``mmps/.mim``.

    Returns:
        str: The absolute path.

    Raises:
        FileNotFoundError: Neither layout holds ``configs/``.
    """
    package = osp.dirname(osp.abspath(mmps.__file__))
    for root in (osp.dirname(package), osp.join(package, '.mim')):
        if osp.isdir(osp.join(root, 'configs')):
            return root
    raise FileNotFoundError(
        f'no configs/ folder beside or inside the mmps package ({package})')


def _source_file(folder: str, name: str) -> str:
    """The path of ``name`` under ``folder`` of the source tree.

    Raises:
        FileNotFoundError: No such file.
    """
    path = osp.join(get_repo_root(), folder, name)
    if not osp.isfile(path):
        raise FileNotFoundError(f'no file {name} under {folder}/')
    return path


def get_config_file(name: str) -> str:
    """The path of a config given relative to ``configs/``, e.g.
    ``'oim/oim_tiny_synthetic.py'``.

    Raises:
        FileNotFoundError: No such config.
    """
    return _source_file('configs', name)


def get_tool(name: str) -> str:
    """The path of a tool given relative to ``tools/``, e.g. ``'train.py'``.

    Raises:
        FileNotFoundError: No such tool.
    """
    return _source_file('tools', name)


def run_tool(tool: str,
             *args: str,
             cwd: Optional[str] = None,
             check: bool = True,
             timeout: float = 600,
             env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """Run a script of ``tools/`` as its user would, in a new process.

    Python tools run with this interpreter, shell scripts with bash and
    ``PYTHON`` set to it; torch runs on one thread (``OMP_NUM_THREADS=1``)
    so that tools started side by side do not contend for the cores.

    Args:
        tool (str): Path relative to ``tools/`` (e.g. ``'test.py'``,
            ``'dist_train.sh'``) or an absolute path.
        *args (str): Its command-line arguments.
        cwd (str, optional): Working folder. Defaults to the repository.
        check (bool): Fail (``AssertionError`` with the output's tail)
            unless the tool exits 0. Defaults to True.
        timeout (float): Seconds before the run is killed. Defaults to 600.
        env (dict, optional): Variables added to the environment.

    Returns:
        subprocess.CompletedProcess: With text ``stdout`` and ``stderr``.
    """
    path = tool if osp.isabs(tool) else get_tool(tool)
    command = (['bash', path] if path.endswith('.sh') else [sys.executable, path])
    command += [str(arg) for arg in args]
    full_env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1')
    full_env.update(env or {})
    result = subprocess.run(
        command,
        cwd=cwd or get_repo_root(),
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout)
    if check:
        assert result.returncode == 0, (
            f'{" ".join(command)} exited {result.returncode}:\n'
            f'{result.stdout[-3000:]}\n{result.stderr[-6000:]}')
    return result


def last_line(result: subprocess.CompletedProcess) -> str:
    """The last non-empty line a tool wrote to stderr (its one-line error)."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else ''


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (for a test's process group
    or launcher).

    Returns:
        int: The port number.
    """
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
