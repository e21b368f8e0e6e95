"""Build a person searcher: a model honouring the mmps inference contract."""
import copy
from pathlib import Path
from typing import Optional, Union

import torch
import torch.nn as nn
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope

from ..models.losses import OIMLoss
from ..models.utils import fill_num_person_ids
from ..models.utils.num_person_ids import _has_unfilled
from .checkpoint import load_matching_checkpoint

HOW_TO_SET = ("set it with cfg_options, e.g. {'model.roi_head.reid_head."
              "loss_reid.num_person_ids': K}")


def contract_error(searcher: nn.Module, missing: str) -> ValueError:
    """The error for a model that breaks the mmps inference contract.

    Args:
        searcher (nn.Module): The model.
        missing (str): What its predictions lack, e.g.
            ``'pred_instances.embeddings'``.

    Returns:
        ValueError: To raise; it says the config is no person-search config.
    """
    return ValueError(
        f'the {type(searcher).__name__} model of this config gives no '
        f'{missing}: it is not a person-search model (mmps inference '
        'contract, docs/design.md); use a person-search config, e.g. one of '
        'configs/oim/ or configs/buff/')


def _check_device(device: str) -> None:
    """Refuse a device string torch cannot parse, and a CUDA device that
    this torch build or machine does not have.

    Raises:
        ValueError: The device is unknown or unavailable.
    """
    try:
        target = torch.device(device)
    except RuntimeError as err:
        raise ValueError(f'unknown device {device!r}: {err}') from err
    if target.type != 'cuda':
        return
    if not torch.cuda.is_available():
        raise ValueError(
            f'device {device!r} needs CUDA, which this machine or torch '
            f'build ({torch.__version__}) does not have; use the device '
            "'cpu'")
    if target.index is not None and target.index >= torch.cuda.device_count():
        raise ValueError(
            f'device {device!r} does not exist: CUDA sees '
            f'{torch.cuda.device_count()} device(s)')


def _num_person_ids_from_training_data(cfg: Config) -> None:
    """Fill ``num_person_ids=None`` of ``cfg.model`` from the training
    split (nothing is read when the config sets every ``num_person_ids``).

    Raises:
        ValueError: The training annotations cannot be read.
    """
    try:
        fill_num_person_ids(cfg)
    except FileNotFoundError as err:
        raise ValueError(
            'the config leaves num_person_ids (OIM lookup-table size) None, no '
            'checkpoint was given to read it from, and the training data that '
            f'defines it cannot be read ({err}); pass a checkpoint or '
            f'{HOW_TO_SET}') from err


def _num_person_ids_from_checkpoint(cfg: Config, model: nn.Module,
                                    checkpoint: str) -> None:
    """Fill ``num_person_ids=None`` of ``cfg.model`` with the lookup-table
    size that the OIM losses of ``model`` took from ``checkpoint``.

    Raises:
        ValueError: An OIM loss got no table from the checkpoint, or the
            OIM losses' tables differ in size while the config leaves some
            ``num_person_ids`` None (which size it takes is then unknown).
    """
    sizes = {m.num_person_ids for m in model.modules() if isinstance(m, OIMLoss)}
    if 0 in sizes:
        raise ValueError(
            f'checkpoint {checkpoint} holds no OIM lookup table for a loss '
            'whose num_person_ids (table size) the config leaves None; '
            f'{HOW_TO_SET}')
    if len(sizes) > 1 and _has_unfilled(cfg.model):
        raise ValueError(
            f'checkpoint {checkpoint} holds OIM lookup tables of several '
            f'sizes {sorted(sizes)}, so the num_person_ids that the config '
            'leaves None cannot be filled from it; set each OIM loss\'s '
            'num_person_ids in the config (cfg_options)')
    if len(sizes) == 1:
        fill_num_person_ids(cfg, sizes.pop())


def init_searcher(config: Union[str, Path, Config],
                  checkpoint: Optional[str] = None,
                  device: str = 'cpu',
                  cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a person-search model for inference, like mmdet's
    ``init_detector``.

    The checkpoint must match the config's model exactly (the same keys
    and shapes); a checkpoint of another model is refused rather than
    loaded in part.

    The config's ``num_person_ids=None`` (the OIM lookup-table size, which
    model configs leave to the training data) is filled in the attached
    config: from the checkpoint's table when a checkpoint is given (the OIM
    loss takes that size while loading), else from the training split of the
    config (:func:`mmps.models.fill_num_person_ids`).

    mmdet's ``init_detector`` is not reused: without a checkpoint it labels
    the model with COCO's classes, and it builds the test dataset to look up
    a palette, neither of which a searcher needs.

    Args:
        config (str | Path | Config): Config file or object (not modified).
        checkpoint (str, optional): Checkpoint to load; None keeps the
            random initialisation (tests, debugging).
        device (str): Device of the model. Defaults to 'cpu'.
        cfg_options (dict, optional): Overrides merged into the config.

    Returns:
        nn.Module: The model in eval mode, with the final config as ``cfg``.

    Raises:
        ValueError: ``num_person_ids`` is None and can be taken neither from
            the checkpoint nor from the training data; the checkpoint does
            not match the config's model (strict loading: keys missing or
            unexpected, tensors of other shapes); or ``device`` is unknown
            or unavailable (e.g. CUDA on a CPU-only machine).
        FileNotFoundError: The config or the checkpoint does not exist.
    """
    _check_device(device)
    if isinstance(config, (str, Path)):
        cfg = Config.fromfile(str(config))
    elif isinstance(config, Config):
        cfg = copy.deepcopy(config)
    else:
        raise TypeError(
            f'config must be a file path or a Config, got {type(config)}')
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    if checkpoint is None:
        _num_person_ids_from_training_data(cfg)

    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    if checkpoint is not None:
        config_name = cfg.filename or '(a Config object)'
        load_matching_checkpoint(model, checkpoint, config_name)
        _num_person_ids_from_checkpoint(cfg, model, checkpoint)
    model.cfg = cfg
    model.to(device)
    model.eval()
    return model
