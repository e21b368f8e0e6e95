"""mmengine's CheckpointHook with saves that a crash cannot leave half done."""
import os
import os.path as osp
from typing import List

from mmdet.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook

# appended to the final name while a file is written (same folder, so that
# the rename that publishes it is atomic)
PARTIAL_SUFFIX = '.partial'


def _fsync(path: str) -> None:
    """Flush the data of a file, or the entries of a folder, to the disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def publish(partial: str, path: str) -> None:
    """Move a completely written file to its final name, atomically.

    The data are flushed to the disk before the rename and the folder
    after it, so that even a power cut leaves either the previous file at
    ``path`` or the new one, never a part of it.

    Args:
        partial (str): The written file, in the folder of ``path``.
        path (str): Its final name (replaced if it exists).
    """
    _fsync(partial)
    os.replace(partial, path)
    _fsync(osp.dirname(osp.abspath(path)))


def write_text_atomically(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and
    :func:`publish`: a reader sees the old content or the new one."""
    partial = path + PARTIAL_SUFFIX
    with open(partial, 'w') as f:
        f.write(text)
    publish(partial, path)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """:class:`~mmengine.hooks.CheckpointHook` whose periodic saves are
    atomic: a crash or ``kill -9`` at any moment leaves the previous
    checkpoint and ``last_checkpoint`` intact.

    mmengine writes ``epoch_N.pth`` and then ``last_checkpoint`` in place,
    so a process killed meanwhile leaves a truncated checkpoint under its
    final name or an empty ``last_checkpoint``, and with
    ``max_keep_ckpts`` it deletes the oldest kept checkpoint before the new
    one is written. This hook writes each file to ``<name>.partial`` in the
    same folder, flushes it to the disk, renames it to its final name,
    records it in ``last_checkpoint`` the same way, and only then deletes
    the checkpoints beyond ``max_keep_ckpts``. A ``.partial`` file left by
    a crash is overwritten by the next save of that name.

    It takes :class:`~mmengine.hooks.CheckpointHook`'s arguments. Saves to
    a remote ``out_dir`` (e.g. ``s3://``, which has no rename) and the
    best-checkpoint saves (``save_best``) are mmengine's own.

    Examples:
        >>> default_hooks = dict(
        ...     checkpoint=dict(type='AtomicCheckpointHook', interval=1))
    """

    def _outdated_checkpoints(self, runner, step: int) -> List[str]:
        """Record ``step`` among the kept checkpoints (as mmengine does)
        and return the checkpoints that it pushes out of
        ``max_keep_ckpts``, to delete once it is saved."""
        if self.max_keep_ckpts <= 0 or (self.keep_ckpt_ids
                                        and self.keep_ckpt_ids[-1] == step):
            return []
        outdated = []
        if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
            oldest = self.keep_ckpt_ids.popleft()
            outdated.append(osp.join(self.out_dir, self.filename_tmpl.format(oldest)))
        self.keep_ckpt_ids.append(step)
        runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        return outdated

    def _save_checkpoint_with_step(self, runner, step: int, meta: dict) -> None:
        if not isinstance(self.file_backend, LocalBackend):
            super()._save_checkpoint_with_step(runner, step, meta)
            return
        outdated = self._outdated_checkpoints(runner, step)
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = osp.join(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            filename + PARTIAL_SUFFIX,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():  # the main process alone writes files
            return
        publish(self.last_ckpt + PARTIAL_SUFFIX, self.last_ckpt)
        write_text_atomically(
            osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        for path in outdated:
            if osp.isfile(path):
                os.remove(path)
