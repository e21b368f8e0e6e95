"""Strict loading of an inference checkpoint: it must match the model of
the config key for key and shape for shape."""
import re
from collections import OrderedDict
from typing import List

import torch.nn as nn
from mmengine.runner import CheckpointLoader

from .checkpoint import register_checkpoint_safe_globals

KEYS_SHOWN = 3  # keys named per kind of difference in the error message


def _some(items: List[str]) -> str:
    """The first ``KEYS_SHOWN`` items, and how many more there are."""
    shown = ', '.join(items[:KEYS_SHOWN])
    more = len(items) - KEYS_SHOWN
    return f'{shown} and {more} more' if more > 0 else shown


def _differences(model: nn.Module, state_dict: dict) -> List[str]:
    """The keys and shapes in which ``state_dict`` and ``model`` differ.

    Args:
        model (nn.Module): The model, after the attempt to load
            ``state_dict`` (so that tensors that take their shape from the
            checkpoint, e.g. an empty OIM lookup table, have it).
        state_dict (dict): The checkpoint's state dict.

    Returns:
        list[str]: One phrase per kind of difference (missing keys,
        unexpected keys, shape mismatches), each naming a few keys.
    """
    own = model.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    mismatched = [
        f'{key} (checkpoint {tuple(value.shape)}, model '
        f'{tuple(own[key].shape)})' for key, value in state_dict.items()
        if key in own and value.shape != own[key].shape
    ]
    kinds = (('model keys missing from it', missing),
             ('keys not in the model', unexpected), ('tensors of another shape',
                                                     mismatched))
    return [f'{kind} ({len(items)}): {_some(items)}' for kind, items in kinds if items]


def load_matching_checkpoint(model: nn.Module, checkpoint: str,
                             config_name: str) -> None:
    """Load the weights and buffers of ``checkpoint`` into ``model``,
    refusing any checkpoint that does not match it exactly.

    mmengine's ``load_checkpoint`` only logs missing, unexpected and
    mis-shaped keys, which leaves a model of another config running with
    part of its weights random. A checkpoint written by training the
    config's model has every key; a ``module.`` prefix (distributed
    wrappers) is dropped as mmengine does.

    Args:
        model (nn.Module): The model built from the config.
        checkpoint (str): Path or URL of the checkpoint; either a state dict
            or a dict holding one under ``state_dict``.
        config_name (str): The config, for the error message.

    Raises:
        FileNotFoundError: No checkpoint file at ``checkpoint``.
        ValueError: The checkpoint does not match the model: keys missing
            or unexpected, tensors of other shapes, or a module refusing its
            tensors (e.g. an OIM table of another embedding width). The
            message names a few of the keys.
    """
    register_checkpoint_safe_globals()
    loaded = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    state_dict = loaded.get('state_dict', loaded)
    metadata = getattr(state_dict, '_metadata', None)
    state_dict = OrderedDict(
        (re.sub(r'^module\.', '', key), value) for key, value in state_dict.items())
    if metadata is not None:
        state_dict._metadata = metadata
    try:
        model.load_state_dict(state_dict, strict=True)
        return
    except ValueError as err:  # a module refused its tensors
        error, refusals = err, [str(err)]
    except RuntimeError as err:  # torch's strict check
        error, refusals = err, []
    phrases = _differences(model, state_dict) + refusals or [str(error)]
    raise ValueError(
        f'checkpoint {checkpoint} does not match the config {config_name}: '
        f'{"; ".join(phrases)}. It holds the weights of another model: use '
        'the config it was trained with') from error
