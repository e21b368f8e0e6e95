"""Join separately trained parts into one two-step searcher checkpoint."""
import os.path as osp
from typing import Dict, Optional, Union

import torch
import torch.nn as nn
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import DefaultScope

from .strict_checkpoint import (DEFAULT_REVISE_KEYS, load_state_dict_matching,
                                read_checkpoint, revised_state_dict)

# a re-ID step trained as TwoStepSearcher(detector=None) stores its network
# under 'reid.'; a BaseCropReID trained alone stores it bare
PART_REVISE_KEYS = dict(
    detector=DEFAULT_REVISE_KEYS,
    reid=DEFAULT_REVISE_KEYS + ((r'^reid\.', ''), ),
    segmentor=DEFAULT_REVISE_KEYS)
PART_FLAGS = dict(detector='--detector', reid='--reid', segmentor='--segmentor')


def _part_holding(parts: Dict[str, nn.Module], checkpoint: dict) -> Optional[str]:
    """The part whose keys the checkpoint holds exactly, if any."""
    for name, module in parts.items():
        keys = set(revised_state_dict(checkpoint, PART_REVISE_KEYS[name]))
        if keys == set(module.state_dict()):
            return name
    return None


def compose_two_step(config: Union[str, Config],
                     detector: str,
                     reid: str,
                     segmentor: Optional[str] = None) -> dict:
    """One checkpoint of a two-step searcher from its parts' checkpoints.

    The searcher of ``config`` is built (no pretrained weights read) and
    each part is loaded strictly (every key, every shape) from its own
    checkpoint: ``model.detector`` from a detector trained with mmdet's
    tools, ``model.reid`` from the re-ID step (a ``TwoStepSearcher`` with
    ``detector=None``, keys under ``reid.``, or a bare crop re-ID network),
    ``model.segmentor`` from an instance-segmentation checkpoint. The
    identity count (``num_person_ids=None``) comes from the re-ID
    checkpoint's table.

    Args:
        config (str | Config): The searcher's config.
        detector (str): Detector checkpoint.
        reid (str): Re-ID checkpoint.
        segmentor (str, optional): Segmentor checkpoint; required when,
            and only when, the config has ``model.segmentor``.

    Returns:
        dict: ``state_dict`` (the searcher's) and ``meta`` (the parts'
        files and the config's name), for ``init_searcher`` and
        ``tools/test.py``.

    Raises:
        ValueError: The config has no detector, a segmentor checkpoint is
            missing or has no part to go to, or a checkpoint holds another
            part (the message names the flag to give it with).
        CheckpointError: A checkpoint is unreadable or matches no part.
    """
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    name = config if isinstance(config, str) else cfg.filename
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmdet')):
        model = MODELS.build(cfg.model)
    if getattr(model, 'detector', None) is None:
        raise ValueError(f'{name} has no model.detector to load {detector} into: '
                         'compose a searcher config with a detector')
    if (model.segmentor is None) != (segmentor is None):
        raise ValueError(
            f'{name} has no model.segmentor: drop --segmentor' if segmentor else
            f'{name} has an online segmentor: pass its checkpoint with --segmentor')
    files = dict(detector=detector, reid=reid, segmentor=segmentor)
    parts = {key: getattr(model, key) for key, path in files.items() if path}
    for key, path in files.items():
        if path is None:
            continue
        checkpoint = read_checkpoint(path)
        holder = _part_holding(parts, checkpoint)
        if holder is not None and holder != key:
            raise ValueError(
                f'{PART_FLAGS[key]} {path} holds the {holder} of this config, '
                f'not its {key}: pass it as {PART_FLAGS[holder]}')
        load_state_dict_matching(
            parts[key],
            checkpoint,
            path,
            f'{name} (model.{key})',
            revise_keys=PART_REVISE_KEYS[key],
            advice=f'Give {PART_FLAGS[key]} a checkpoint of the {key} this config '
            'describes')
    meta = dict(
        config=osp.basename(name) if name else None,
        composed_from={k: v
                       for k, v in files.items() if v})
    return dict(meta=meta, state_dict=model.state_dict())


def save_composed(checkpoint: dict, out: str) -> None:
    """Write a composed checkpoint, creating its folder.

    Args:
        checkpoint (dict): From :func:`compose_two_step`.
        out (str): Output file.
    """
    folder = osp.dirname(osp.abspath(out))
    if not osp.isdir(folder):
        raise ValueError(f'output folder {folder} does not exist')
    torch.save(checkpoint, out)
