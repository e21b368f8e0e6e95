"""Build a person searcher: a model honouring the mmps inference contract."""
import copy
from pathlib import Path
from typing import Optional, Union

import torch
import torch.nn as nn
from mmengine.config import Config

from ..models.detectors import check_person_searcher
from ..utils import build_person_search_model, register_all_modules


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
        raise ValueError(f'device {device!r} needs CUDA, which this machine or torch '
                         f'build ({torch.__version__}) does not have; use the device '
                         "'cpu'")
    if target.index is not None and target.index >= torch.cuda.device_count():
        raise ValueError(f'device {device!r} does not exist: CUDA sees '
                         f'{torch.cuda.device_count()} device(s)')


def init_searcher(config: Union[str, Path, Config],
                  checkpoint: Optional[str] = None,
                  device: str = 'cpu',
                  cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a person-search model for inference, like mmdet's
    ``init_detector``.

    The checkpoint must match the config's model exactly (the same keys
    and shapes); a checkpoint of another model is refused rather than
    loaded in part.

    The model is built by :func:`mmps.utils.build_person_search_model`:
    the config's ``num_person_ids=None`` (the OIM lookup-table size, which
    model configs leave to the training data) is filled in the attached
    config, from the checkpoint's table when a checkpoint is given, else
    from the training split of the config; without a checkpoint the model
    is initialised by ``init_weights()`` (a composite config loads its parts
    through ``init_cfg``). A test-only config (no ``train_dataloader``)
    works with a checkpoint, or with every ``num_person_ids`` set.

    mmdet's ``init_detector`` is not reused: without a checkpoint it labels
    the model with COCO's classes, and it builds the test dataset to look up
    a palette, neither of which a searcher needs.

    Args:
        config (str | Path | Config): Config file or object (not modified).
        checkpoint (str, optional): Checkpoint to load; None initialises
            the model (``init_weights()``; random weights unless
            ``init_cfg`` names pretrained ones: tests, debugging).
        device (str): Device of the model. Defaults to 'cpu'.
        cfg_options (dict, optional): Overrides merged into the config.

    Returns:
        nn.Module: The model in eval mode, with the final config as ``cfg``.

    Raises:
        ValueError: ``num_person_ids`` is None and can be taken neither from
            the checkpoint nor from the training data; the checkpoint does
            not match the config's model (strict loading: keys missing or
            unexpected, tensors of other shapes); or ``device`` is unknown
            or unavailable (e.g. CUDA on a CPU-only machine); or the model
            is no person searcher (:class:`mmps.models.BasePersonSearcher`).
        FileNotFoundError: The config or the checkpoint does not exist.

    Examples:
        >>> from mmps.apis import init_searcher
        >>> from mmps.testing import get_config_file
        >>> searcher = init_searcher(
        ...     get_config_file('oim/oim_tiny_synthetic.py'),
        ...     cfg_options={
        ...         'model.roi_head.reid_head.loss_reid.num_person_ids': 5})
        >>> type(searcher).__name__, searcher.training
        ('PersonSearchTwoStage', False)
    """
    _check_device(device)
    if isinstance(config, (str, Path)):
        cfg = Config.fromfile(str(config))
    elif isinstance(config, Config):
        cfg = copy.deepcopy(config)
    else:
        raise TypeError(f'config must be a file path or a Config, got {type(config)}')
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    register_all_modules(init_default_scope=False)
    model = build_person_search_model(cfg, checkpoint)
    check_person_searcher(model)
    model.cfg = cfg
    model.to(device)
    model.eval()
    return model
