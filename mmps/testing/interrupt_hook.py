"""A hook that kills the training process, to test resuming after a crash."""
import os
import signal

from mmdet.registry import HOOKS
from mmengine.hooks import Hook


@HOOKS.register_module()
class KillAfterEpochHook(Hook):
    """Send SIGKILL to the own process once epoch ``epoch`` is checkpointed.

    Its priority is below :class:`~mmengine.hooks.CheckpointHook`'s, so the
    checkpoint of that epoch is on disk when the process dies, as after a
    real crash or a pre-empted cluster job.

    Args:
        epoch (int): The 1-based epoch after which the process is killed.
    """

    priority = 'LOWEST'

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def after_train_epoch(self, runner) -> None:
        # runner.epoch counts from 0 until after this hook
        if runner.epoch + 1 == self.epoch:
            os.kill(os.getpid(), signal.SIGKILL)
