"""Building a person-search model from its config, identity count included."""
import logging
from typing import Optional

import torch.nn as nn
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import DefaultScope

from .num_person_ids import fill_num_person_ids, has_unfilled_num_person_ids
from .strict_checkpoint import load_matching_checkpoint

HOW_TO_SET = ("set it with cfg_options, e.g. {'model.roi_head.reid_head."
              "loss_reid.num_person_ids': K}")


def _identity_counts(model: nn.Module) -> set:
    """The identity counts (``num_person_ids``) of the modules that hold
    one, e.g. :class:`~mmps.models.OIMLoss` (0: not filled yet)."""
    return {
        module.num_person_ids
        for module in model.modules()
        if isinstance(getattr(module, 'num_person_ids', None), int)
    }


def _fill_from_training_data(cfg: Config) -> None:
    """Fill ``num_person_ids=None`` of ``cfg.model`` from the training
    split (nothing is read when the config sets every one).

    Raises:
        ValueError: The config leaves one None and the training
            annotations cannot be read (or there is no training split).
    """
    if not has_unfilled_num_person_ids(cfg.model):
        return
    if 'train_dataloader' not in cfg:
        raise ValueError(
            'the config leaves num_person_ids (identity count, e.g. the OIM '
            'lookup-table size) None, has no train_dataloader to count the '
            f'identities in and no checkpoint was given; {HOW_TO_SET}')
    try:
        fill_num_person_ids(cfg)
    except FileNotFoundError as err:
        raise ValueError(
            'the config leaves num_person_ids (identity count, e.g. the OIM '
            'lookup-table size) None, no checkpoint was given to read it '
            'from, and the training data that defines it cannot be read '
            f'({err}); pass a checkpoint or {HOW_TO_SET}') from err


def _fill_from_model(cfg: Config, model: nn.Module, checkpoint: str) -> None:
    """Fill ``num_person_ids=None`` of ``cfg.model`` with the identity
    count that ``model`` took from ``checkpoint``.

    Raises:
        ValueError: A module got no count from the checkpoint, or the
            modules' counts differ while the config leaves some None (which
            count it takes is then unknown).
    """
    counts = _identity_counts(model)
    if 0 in counts:
        raise ValueError(f'checkpoint {checkpoint} holds no identity table (e.g. OIM '
                         'lookup table) for a module whose num_person_ids the config '
                         f'leaves None; {HOW_TO_SET}')
    if len(counts) > 1 and has_unfilled_num_person_ids(cfg.model):
        raise ValueError(
            f'checkpoint {checkpoint} holds identity tables of several '
            f'sizes {sorted(counts)}, so the num_person_ids that the config '
            'leaves None cannot be filled from it; set each one in the '
            'config (cfg_options)')
    if len(counts) == 1:
        fill_num_person_ids(cfg, counts.pop())


def _quiet_init_weights(model: nn.Module) -> None:
    """``model.init_weights()`` without mmengine's per-parameter report,
    which it logs at INFO level, one entry per parameter, when no runner
    log file exists (a searcher built for inference has none); warnings
    still show."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)


def build_person_search_model(cfg: Config,
                              checkpoint: Optional[str] = None,
                              init_weights: bool = True) -> nn.Module:
    """Build ``cfg.model`` with its identity count, initialised or loaded.

    The configs leave ``num_person_ids=None`` (the number of labelled
    identities, e.g. the OIM lookup-table size), which is filled, in
    ``cfg`` itself:

    - with a checkpoint: from the checkpoint's table (an unfilled
      :class:`~mmps.models.OIMLoss` takes its size while loading; any module
      with an int ``num_person_ids`` attribute is read the same way);
    - without: from the training split of the config
      (:func:`fill_num_person_ids`); the model is then initialised with
      ``init_weights()`` (unless ``init_weights=False``), so that a
      composite config loads its parts through their ``init_cfg``.

    The checkpoint must match the model exactly
    (:func:`load_matching_checkpoint`).

    Args:
        cfg (Config): The full config (changed in place: ``num_person_ids``).
        checkpoint (str, optional): Checkpoint to load. Defaults to None.
        init_weights (bool): Without a checkpoint, run ``init_weights()``
            (which reads any pretrained weights named by ``init_cfg``).
            False keeps the modules' own initialisation, e.g. to count
            parameters offline. Defaults to True.

    Returns:
        nn.Module: The model (SyncBN reverted to BN), on the CPU, in
        training mode.

    Raises:
        ValueError: ``num_person_ids`` can be taken neither from the
            checkpoint nor from the training data, or the checkpoint does
            not match the model.
        FileNotFoundError: The checkpoint does not exist.

    Examples:
        >>> from mmengine.config import Config
        >>> from mmps.testing import get_config_file
        >>> from mmps.utils import build_person_search_model
        >>> cfg = Config.fromfile(get_config_file('oim/oim_tiny_synthetic.py'))
        >>> cfg.model.roi_head.reid_head.loss_reid.num_person_ids = 5
        >>> model = build_person_search_model(cfg)
        >>> model.roi_head.reid_head.loss_reid.lut.shape
        torch.Size([5, 64])
    """
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmdet')):
        if checkpoint is None:
            _fill_from_training_data(cfg)
        model = revert_sync_batchnorm(MODELS.build(cfg.model))
    if checkpoint is None:
        if init_weights:
            _quiet_init_weights(model)
        return model
    load_matching_checkpoint(model, checkpoint, cfg.filename or '(a Config object)')
    _fill_from_model(cfg, model, checkpoint)
    return model
