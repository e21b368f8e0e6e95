import pytest
import torch

from mmps.testing import threads_per_worker


@pytest.mark.parametrize('workers, cores, threads', [('2', 2, 1), ('2', 8, 4),
                                                     ('4', 2, 1), ('3', 8, 2)])
def test_cores_are_shared_out_between_the_workers(workers, cores, threads):
    environ = {'PYTEST_XDIST_WORKER_COUNT': workers}
    assert threads_per_worker(environ, cores) == threads


def test_outside_xdist_torch_keeps_its_default():
    assert threads_per_worker({}, cores=2) is None
    assert threads_per_worker({'PYTEST_XDIST_WORKER_COUNT': ''}, cores=2) is None


def test_this_session_runs_with_those_threads():
    # tests/conftest.py applies it when the session starts
    expected = threads_per_worker()
    if expected is not None:
        assert torch.get_num_threads() == expected
    else:
        assert torch.get_num_threads() >= 1
