"""Reading checkpoints that can be trusted: complete files, finite values,
and, for inference, the exact keys and shapes of the model."""
import os.path as osp
import pickle
import re
from collections import OrderedDict
from typing import Callable, Iterator, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.runner import CheckpointLoader

from .checkpoint import register_checkpoint_safe_globals

KEYS_SHOWN = 3  # keys named per kind of difference in the error message
# mmengine's own default: distributed wrappers prefix every key with `module.`
DEFAULT_REVISE_KEYS = ((r'^module\.', ''), )
OTHER_MODEL_ADVICE = ('It holds the weights of another model: use the config it '
                      'was trained with')
# what torch says when its safe unpickler refuses an object of a complete file
REFUSED_OBJECT_MARKERS = ('Unsupported global', 'Refusing getattr')


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: truncated or not a PyTorch file,
    holding non-finite values, or not matching the model it is loaded
    into. The message is one sentence naming the file."""


def _some(items: List[str]) -> str:
    """The first ``KEYS_SHOWN`` items, and how many more there are."""
    shown = ', '.join(items[:KEYS_SHOWN])
    more = len(items) - KEYS_SHOWN
    return f'{shown} and {more} more' if more > 0 else shown


def _named_tensors(obj: object, name: str) -> Iterator[Tuple[str, torch.Tensor]]:
    """Every tensor inside ``obj`` (nested dicts, lists and tuples), with
    its path written as subscripts of ``name``."""
    if isinstance(obj, torch.Tensor):
        yield name, obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from _named_tensors(value, f'{name}[{key!r}]')
    elif isinstance(obj, (list, tuple)):
        for index, value in enumerate(obj):
            yield from _named_tensors(value, f'{name}[{index}]')


def _checkpoint_tensors(checkpoint: dict) -> Iterator[Tuple[str, torch.Tensor]]:
    """The tensors of a checkpoint: the state dict's, named by their keys,
    then the others (e.g. optimizer state), named by their paths."""
    state_dict = checkpoint.get('state_dict', checkpoint)
    for key, value in state_dict.items():
        yield from _named_tensors(value, str(key))
    if state_dict is not checkpoint:
        for key, value in checkpoint.items():
            if key != 'state_dict':
                yield from _named_tensors(value, str(key))


def _check_finite(checkpoint: dict, filename: str) -> None:
    """Refuse a checkpoint with a NaN or infinite value in any floating
    tensor, naming the first such tensor.

    Raises:
        CheckpointError: A floating tensor holds NaN or inf.
    """
    for name, tensor in _checkpoint_tensors(checkpoint):
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            kind = 'nan' if bool(torch.isnan(tensor).any()) else 'inf'
            raise CheckpointError(
                f'checkpoint {filename} holds non-finite values ({kind}) in '
                f'{name}: use a checkpoint saved before the training diverged')


def _refusal(error: Exception) -> Optional[str]:
    """The line in which torch's safe unpickler refuses an object of a
    readable file, or None when ``error`` is no such refusal (the file
    could not be read)."""
    if not isinstance(error, pickle.UnpicklingError):
        return None
    lines = str(error).splitlines()
    return next((line.strip()
                 for line in lines if any(marker in line
                                          for marker in REFUSED_OBJECT_MARKERS)), None)


def read_checkpoint(filename: str,
                    map_location: Union[str, Callable, None] = 'cpu') -> dict:
    """Read a checkpoint, refusing an unusable one with a one-sentence
    error instead of torch's traceback.

    Every floating tensor is checked: a checkpoint holding NaN or inf
    (weights, buffers or optimizer state) is refused, naming the first
    such tensor. The objects of mmengine checkpoints are allow-listed for
    ``torch.load(weights_only=True)`` first
    (:func:`~mmps.utils.register_checkpoint_safe_globals`).

    Args:
        filename (str): Local path, or any URL mmengine reads
            (``https://``, ``torchvision://`` ...).
        map_location (str | callable, optional): Where tensors go, as for
            ``torch.load``. Defaults to 'cpu'.

    Returns:
        dict: The checkpoint, e.g. ``{'meta': ..., 'state_dict': ...}``
        (or a bare state dict).

    Raises:
        FileNotFoundError: No file at the local path ``filename``.
        CheckpointError: The file is empty, truncated or no PyTorch
            checkpoint, holds an object that torch refuses to unpickle
            safely, holds no dict, or holds a non-finite value.

    Examples:
        >>> import os, tempfile
        >>> from mmps.utils.strict_checkpoint import read_checkpoint
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, 'empty.pth')
        ...     open(path, 'wb').close()
        ...     read_checkpoint(path)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        mmps.utils.strict_checkpoint.CheckpointError: checkpoint ... (0 bytes)
    """
    register_checkpoint_safe_globals()
    local = '://' not in filename
    if local and not osp.isfile(osp.expanduser(filename)):
        raise FileNotFoundError(f'checkpoint {filename} does not exist')
    try:
        checkpoint = CheckpointLoader.load_checkpoint(
            filename, map_location=map_location)
    except OSError:  # unreadable (permissions) or not fetched: named by the OS
        raise
    except Exception as err:
        refusal = _refusal(err)
        if refusal is not None:
            raise CheckpointError(f'checkpoint {filename} holds an object that torch '
                                  f'does not load safely: {refusal}') from err
        if not local:
            raise
        raise CheckpointError(
            f'checkpoint {filename} is truncated or not a PyTorch checkpoint '
            f'({osp.getsize(osp.expanduser(filename))} bytes)') from err
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f'checkpoint {filename} holds a '
                              f'{type(checkpoint).__name__}, not a dict of tensors')
    _check_finite(checkpoint, filename)
    return checkpoint


def revised_state_dict(checkpoint: dict,
                       revise_keys: Sequence[Tuple[str, str]]) -> OrderedDict:
    """The state dict of ``checkpoint`` with its keys rewritten by the
    ``(pattern, replacement)`` pairs, as mmengine's loader does.

    Args:
        checkpoint (dict): A checkpoint as :func:`read_checkpoint` returns
            it: a state dict, or a dict holding one under ``state_dict``.
        revise_keys (Sequence[tuple[str, str]]): Regular expressions and
            their replacements, applied in turn to every key.

    Returns:
        OrderedDict: The state dict, with torch's ``_metadata`` kept.
    """
    state_dict = checkpoint.get('state_dict', checkpoint)
    metadata = getattr(state_dict, '_metadata', None)
    for pattern, replacement in revise_keys:
        state_dict = OrderedDict((re.sub(pattern, replacement, key), value)
                                 for key, value in state_dict.items())
    if metadata is not None:
        state_dict._metadata = metadata
    return state_dict


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


def load_state_dict_matching(model: nn.Module,
                             checkpoint: dict,
                             filename: str,
                             config_name: str,
                             revise_keys: Sequence[Tuple[str,
                                                         str]] = DEFAULT_REVISE_KEYS,
                             advice: str = OTHER_MODEL_ADVICE) -> None:
    """Load the state dict of a read checkpoint into ``model``, refusing
    any difference in keys or shapes.

    Args:
        model (nn.Module): The model (not a wrapper).
        checkpoint (dict): A checkpoint as :func:`read_checkpoint` returns it.
        filename (str): Where it was read, for the error message.
        config_name (str): The model's config, for the error message.
        revise_keys (Sequence[tuple[str, str]]): ``(pattern, replacement)``
            rewrites of the checkpoint keys. Defaults to dropping a leading
            ``module.``.
        advice (str): Last sentence of the error message: what to do.
            Defaults to using the config the checkpoint was trained with.

    Raises:
        CheckpointError: Keys missing or unexpected, tensors of other
            shapes, or a module refusing its tensors (e.g. an OIM table of
            another embedding width). The message names a few of the keys.
    """
    state_dict = revised_state_dict(checkpoint, revise_keys)
    try:
        model.load_state_dict(state_dict, strict=True)
        return
    except ValueError as err:  # a module refused its tensors
        error, refusals = err, [str(err)]
    except RuntimeError as err:  # torch's strict check
        error, refusals = err, []
    phrases = _differences(model, state_dict) + refusals or [str(error)]
    raise CheckpointError(
        f'checkpoint {filename} does not match the config {config_name}: '
        f'{"; ".join(phrases)}. {advice}') from error


def load_matching_checkpoint(model: nn.Module,
                             checkpoint: str,
                             config_name: str,
                             map_location: Optional[str] = 'cpu') -> None:
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
        map_location (str, optional): Where tensors are loaded, as for
            ``torch.load``. Defaults to 'cpu'.

    Raises:
        FileNotFoundError: No checkpoint file at ``checkpoint``.
        CheckpointError: The file is truncated or no PyTorch checkpoint,
            holds a non-finite value (:func:`read_checkpoint`), or does not
            match the model (:func:`load_state_dict_matching`).
    """
    loaded = read_checkpoint(checkpoint, map_location)
    load_state_dict_matching(model, loaded, checkpoint, config_name)
