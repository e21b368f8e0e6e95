"""AtomicCheckpointHook: a save interrupted at any point leaves the previous
checkpoint and ``last_checkpoint`` as they were."""
import os
import os.path as osp
from glob import glob

import pytest
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook
from mmengine.runner import Runner

from mmps.engine import AtomicCheckpointHook
from mmps.utils.strict_checkpoint import read_checkpoint
from ..conftest import toy_runner_args


class Crash(BaseException):
    """Stands for the process dying (not an Exception: nothing handles it)."""


def train(work_dir, max_epochs: int, **hook_args) -> Runner:
    """Train the toy model of mmengine's tests (4 iterations an epoch),
    saving every epoch with the hook."""
    runner = Runner(**toy_runner_args(work_dir, max_epochs, 'atomic', **hook_args))
    runner.train()
    return runner


def recorded(work_dir) -> str:
    """The file name that ``last_checkpoint`` names."""
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return osp.basename(f.read())


def names(work_dir, pattern: str = '*') -> list:
    return sorted(osp.basename(path) for path in glob(osp.join(work_dir, pattern)))


def test_is_registered_and_extends_checkpoint_hook():
    from mmdet.registry import HOOKS
    assert HOOKS.get('AtomicCheckpointHook') is AtomicCheckpointHook
    assert issubclass(AtomicCheckpointHook, CheckpointHook)


def test_saves_every_epoch_and_records_the_last(tmp_path):
    train(tmp_path, max_epochs=2)
    assert names(tmp_path, '*.pth*') == ['epoch_1.pth', 'epoch_2.pth']
    assert read_checkpoint(str(tmp_path / 'epoch_2.pth'))['meta']['epoch'] == 2
    assert recorded(tmp_path) == 'epoch_2.pth'
    assert not glob(str(tmp_path / '*.partial'))


def crash_writing(monkeypatch, target: str, after_bytes: int = 0) -> None:
    """Make the process 'die' while it saves epoch 2: after ``after_bytes``
    bytes of ``target`` (``epoch_2.pth``, possibly with the hook's suffix),
    or, for ``target='last_checkpoint'``, when the record naming epoch 2 is
    moved into place."""
    if target == 'last_checkpoint':
        replace = os.replace

        def dying_replace(src, dst):
            with open(src, 'rb') as f:
                new_record = f.read().endswith(b'epoch_2.pth')
            if osp.basename(dst) == target and new_record:
                raise Crash
            replace(src, dst)

        monkeypatch.setattr(os, 'replace', dying_replace)
        return
    put = LocalBackend.put

    def dying_put(self, obj, filepath):
        if osp.basename(filepath).startswith(target):
            with open(filepath, 'wb') as f:
                f.write(obj[:after_bytes])
            raise Crash
        put(self, obj, filepath)

    monkeypatch.setattr(LocalBackend, 'put', dying_put)


@pytest.mark.parametrize('target, after_bytes', [('epoch_2.pth', 0),
                                                 ('epoch_2.pth', 700),
                                                 ('last_checkpoint', 0)])
def test_a_crash_while_saving_keeps_the_previous_checkpoint(tmp_path, monkeypatch,
                                                            target, after_bytes):
    crash_writing(monkeypatch, target, after_bytes)
    with pytest.raises(Crash):
        train(tmp_path, max_epochs=3)
    assert recorded(tmp_path) == 'epoch_1.pth'
    assert read_checkpoint(str(tmp_path / 'epoch_1.pth'))['meta']['epoch'] == 1
    if target == 'last_checkpoint':  # the new checkpoint is complete, unrecorded
        assert read_checkpoint(str(tmp_path / 'epoch_2.pth'))['meta']['epoch'] == 2
    else:  # no partial file under a checkpoint's name
        assert names(tmp_path, '*.pth') == ['epoch_1.pth']
        assert os.path.getsize(tmp_path / 'epoch_2.pth.partial') == after_bytes


def test_max_keep_ckpts_deletes_only_after_the_new_checkpoint_is_saved(
        tmp_path, monkeypatch):
    train(tmp_path, max_epochs=3, max_keep_ckpts=2)
    assert names(tmp_path, '*.pth') == ['epoch_2.pth', 'epoch_3.pth']
    crash_writing(monkeypatch, 'epoch_2.pth', after_bytes=100)
    with pytest.raises(Crash):
        train(tmp_path / 'crashed', max_epochs=3, max_keep_ckpts=1)
    # mmengine's hook deletes epoch_1.pth before it writes epoch_2.pth
    assert names(tmp_path / 'crashed', '*.pth') == ['epoch_1.pth']
    assert recorded(tmp_path / 'crashed') == 'epoch_1.pth'
