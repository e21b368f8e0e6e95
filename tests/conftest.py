"""Fixtures shared by the whole suite.

Every mmps and mmdet module is registered once for the session, with
``mmdet`` as the default scope, as mmps's tools do
(:func:`mmps.utils.register_all_modules`). Paths of the source tree come
from :mod:`mmps.testing` (``get_repo_root``, ``get_config_file``,
``get_tool``), tools run through ``mmps.testing.run_tool``.
"""
import pytest
import torch

from mmps.datasets.synthetic import build_synthetic_scenes, make_synthetic_dataset
from mmps.testing import (TINY_IMG_H, TINY_IMG_W, TINY_SCALE, TINY_SYNTHETIC_CFG,
                          get_repo_root, make_det_sample, threads_per_worker)
from mmps.utils import register_all_modules


def pytest_configure(config: pytest.Config) -> None:
    """Share the cores out between pytest-xdist workers (``make test``
    runs ``-n 2`` on 2 cores): one torch thread each there, instead of
    torch's one per core, which makes the workers' threads contend."""
    threads = threads_per_worker()
    if threads is not None:
        torch.set_num_threads(threads)


@pytest.fixture(autouse=True, scope='session')
def mmps_modules():
    """Register mmps's and mmdet's modules, default scope ``mmdet``."""
    register_all_modules(init_default_scope=True)


@pytest.fixture(scope='session')
def repo_root() -> str:
    """The repository: ``configs/`` and ``tools/`` live there."""
    return get_repo_root()


@pytest.fixture(scope='module')
def one_torch_thread():
    """Tiny convolutions run faster on one thread, above all on a shared
    machine where extra threads only contend. Modules opt in with
    ``pytestmark = pytest.mark.usefixtures('one_torch_thread')``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='session')
def tiny_cfg() -> dict:
    """The arguments of the tiny synthetic split (a fresh copy)."""
    return dict(TINY_SYNTHETIC_CFG)


@pytest.fixture(scope='session')
def tiny_scenes():
    """The tiny split's scenes (shared: copy before editing)."""
    return build_synthetic_scenes(**TINY_SYNTHETIC_CFG)


@pytest.fixture(scope='session')
def tiny_root(tmp_path_factory) -> str:
    """The tiny split written in the mmps schema (shared: copy before
    editing)."""
    root = str(tmp_path_factory.mktemp('synthetic'))
    make_synthetic_dataset(root, **TINY_SYNTHETIC_CFG)
    return root


def tiny_sample(gt_bboxes, person_ids, **kwargs):
    """A sample of the tiny model tests: input (TINY_IMG_H, TINY_IMG_W),
    original image twice as large (``make_det_sample``)."""
    return make_det_sample((TINY_IMG_H, TINY_IMG_W),
                           TINY_SCALE,
                           gt_bboxes=gt_bboxes,
                           person_ids=person_ids,
                           **kwargs)


@pytest.fixture
def batch():
    """Two images of the tiny model tests, persons labelled 0..3 or
    unlabelled (-1)."""
    torch.manual_seed(1)
    inputs = [
        torch.randint(0, 255, (3, TINY_IMG_H, TINY_IMG_W), dtype=torch.uint8)
        for _ in range(2)
    ]
    samples = [
        tiny_sample([[4., 4., 30., 60.], [50., 2., 80., 58.]], [0, -1]),
        tiny_sample([[10., 6., 40., 62.], [60., 8., 90., 60.]], [3, 1]),
    ]
    return dict(inputs=inputs, data_samples=samples)


# A test may be skipped only for a missing optional dependency: any other
# skip fails the run (`make test`, CI), so that no test passes by skipping.
ALLOWED_SKIP_REASONS = ('missing optional dependency', 'could not import')
_unexplained_skips = []


def pytest_runtest_logreport(report):
    """Record the skips whose reason names no missing dependency."""
    if not report.skipped or hasattr(report, 'wasxfail'):
        return
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    reason = reason.removeprefix('Skipped: ')
    if not reason.startswith(ALLOWED_SKIP_REASONS):
        _unexplained_skips.append(f'{report.nodeid}: {reason}')


def pytest_sessionfinish(session, exitstatus):
    """Fail the session when a test was skipped for another reason."""
    if _unexplained_skips and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """List the skips that failed the session."""
    if _unexplained_skips:
        terminalreporter.section('skips without a missing dependency')
        for line in _unexplained_skips:
            terminalreporter.line(line)
        terminalreporter.line(
            'A test may be skipped only with a reason that starts with '
            f'one of {ALLOWED_SKIP_REASONS}: the run fails.')
