"""What the loss-health hooks say about a training iteration: where it is in
the run and the values of its loss terms."""
import os.path as osp
from typing import Dict, Optional

import torch
from mmengine.runner import EpochBasedTrainLoop


def loss_terms(outputs: Optional[dict]) -> Dict[str, float]:
    """The loss terms among the log variables of a training iteration.

    A term is every key containing ``'loss'``, the keys mmengine's
    ``parse_losses`` sums into the loss it back-propagates, and that sum
    itself (``'loss'``).

    Args:
        outputs (dict, optional): What ``train_step`` returned: name to
            scalar tensor or number.

    Returns:
        dict[str, float]: Name to value, in the order of ``outputs``.
    """
    return {
        key: value.item() if isinstance(value, torch.Tensor) else float(value)
        for key, value in (outputs or {}).items() if 'loss' in key
    }


def describe_iteration(runner,
                       batch_idx: int,
                       data_batch: Optional[dict] = None) -> str:
    """The position of the current training iteration, as the log counts it.

    Args:
        runner (Runner): The runner, inside ``after_train_iter``.
        batch_idx (int): Index of the batch within its epoch.
        data_batch (dict, optional): The batch; the file names of its images
            are added when its data samples carry ``img_path``. Defaults to
            None.

    Returns:
        str: E.g. ``'iteration 6 (epoch 2, batch 2 of 4; images a.jpg,
        b.jpg)'``: the iteration counts from 1 over the whole run, the epoch
        and batch (epoch-based loops only) from 1.
    """
    details = []
    if isinstance(runner.train_loop, EpochBasedTrainLoop):
        details.append(f'epoch {runner.epoch + 1}, batch {batch_idx + 1} of '
                       f'{len(runner.train_dataloader)}')
    samples = data_batch.get('data_samples') if isinstance(data_batch, dict) else None
    paths = [
        sample.metainfo['img_path'] for sample in samples or []
        if 'img_path' in getattr(sample, 'metainfo', {})
    ]
    if paths:
        details.append('images ' + ', '.join(osp.basename(path) for path in paths))
    where = f'iteration {runner.iter + 1}'
    return f'{where} ({"; ".join(details)})' if details else where
