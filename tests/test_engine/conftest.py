"""What the engine tests share: runs of mmengine's toy model."""
import uuid

from mmengine.testing.runner_test_case import ToyDataset, ToyModel

from mmps.engine import AtomicCheckpointHook


def toy_runner_args(work_dir, max_epochs: int, name: str, **hook_args) -> dict:
    """Arguments of a runner that trains mmengine's toy model (4 iterations
    an epoch) and saves every epoch with :class:`AtomicCheckpointHook`.

    Args:
        work_dir: The work dir.
        max_epochs (int): Epochs to train.
        name (str): Prefix of the unique experiment name.
        **hook_args: Arguments of the checkpoint hook.
    """
    return dict(
        model=ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=ToyDataset(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=3,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=AtomicCheckpointHook(interval=1, **hook_args)),
        default_scope='mmdet',
        experiment_name=f'{name}_{uuid.uuid4().hex}')
