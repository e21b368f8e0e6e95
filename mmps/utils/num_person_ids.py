"""Filling the number of labelled identities into a model config."""
from typing import Any, Optional

from mmdet.registry import DATASETS
from mmengine.config import Config
from mmengine.registry import DefaultScope


def _fill(node: Any, num_person_ids: int) -> int:
    """Set every ``num_person_ids=None`` below ``node``; return how many."""
    filled = 0
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'num_person_ids' and value is None:
                node[key] = num_person_ids
                filled += 1
            else:
                filled += _fill(value, num_person_ids)
    elif isinstance(node, (list, tuple)):
        for item in node:
            filled += _fill(item, num_person_ids)
    return filled


def has_unfilled_num_person_ids(node: Any) -> bool:
    """Whether some ``num_person_ids=None`` lies below ``node``."""
    if isinstance(node, dict):
        return any((key == 'num_person_ids' and value is None)
                   or has_unfilled_num_person_ids(value) for key, value in node.items())
    if isinstance(node, (list, tuple)):
        return any(has_unfilled_num_person_ids(item) for item in node)
    return False


def fill_num_person_ids(cfg: Config,
                        num_person_ids: Optional[int] = None) -> Optional[int]:
    """Set, in place, every ``num_person_ids=None`` of ``cfg.model`` (the
    size of the OIM lookup table) to the number of labelled identities of
    the training data.

    Model configs leave ``num_person_ids=None``; training tools call this
    before building the runner, so that the lookup table exists, with its
    final shape, when the model is built (checkpoints then load and resume
    as usual). Inference needs no call: an unfilled ``OIMLoss`` takes the
    table size from the checkpoint it loads.

    Args:
        cfg (Config): Full config with ``model`` and, when
            ``num_person_ids`` is not given, ``train_dataloader.dataset``.
        num_person_ids (int, optional): The number to write. None builds
            the training dataset and reads its
            ``metainfo['num_person_ids']``.

    Returns:
        int | None: The number of labelled identities written, or None when
        the model has no unfilled ``num_person_ids`` (then nothing is built).
    """
    if not has_unfilled_num_person_ids(cfg.model):
        return None
    if num_person_ids is None:
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmdet')):
            dataset = DATASETS.build(cfg.train_dataloader.dataset)
        num_person_ids = int(dataset.metainfo['num_person_ids'])
    _fill(cfg.model, num_person_ids)
    return num_person_ids
