"""Parameter and buffer counts of a model, per module.

Used by ``tools/analysis_tools/get_params.py``; any model can be counted.
Parameters are what an optimiser could train (``model.parameters()``,
frozen ones included); buffers are state saved with the checkpoint but
never trained, e.g. BatchNorm running statistics and the OIM lookup table
and queue. Non-persistent buffers (not in the state dict, e.g. the data
preprocessor's mean and std) are not counted.
"""
from dataclasses import dataclass
from typing import Iterator, List, Sequence, Tuple

import torch.nn as nn
from torch import Tensor
from torch.nn.modules.batchnorm import _NormBase


@dataclass
class ModuleCount:
    """Counts of one row of a breakdown.

    Attributes:
        name (str): Dotted module name, e.g. ``'roi_head.bbox_head'``;
            ``'<name> (own)'`` for the tensors a module holds itself, outside
            its children.
        params (int): Parameter elements.
        trainable (int): Parameter elements with ``requires_grad``.
        buffers (int): Persistent buffer elements.
    """
    name: str
    params: int
    trainable: int
    buffers: int


def _persistent_buffers(module: nn.Module,
                        recurse: bool = True) -> Iterator[Tuple[str, Tensor]]:
    """``(name, buffer)`` of the buffers that go into the state dict."""
    for name, buffer in module.named_buffers(recurse=recurse):
        owner_name, _, buffer_name = name.rpartition('.')
        owner = module.get_submodule(owner_name)
        if buffer_name not in owner._non_persistent_buffers_set:
            yield name, buffer


def _own_count(module: nn.Module, name: str) -> ModuleCount:
    """Counts of the tensors registered on ``module`` itself."""
    params = list(module.parameters(recurse=False))
    return ModuleCount(
        name=name,
        params=sum(p.numel() for p in params),
        trainable=sum(p.numel() for p in params if p.requires_grad),
        buffers=sum(b.numel() for _, b in _persistent_buffers(module, recurse=False)))


def count_module(module: nn.Module, name: str = '') -> ModuleCount:
    """Counts of a module and all its descendants.

    Args:
        module (nn.Module): The module.
        name (str): Name of the returned row. Defaults to ''.

    Returns:
        ModuleCount: Parameter, trainable-parameter and buffer elements.
    """
    params = list(module.parameters())
    return ModuleCount(
        name=name,
        params=sum(p.numel() for p in params),
        trainable=sum(p.numel() for p in params if p.requires_grad),
        buffers=sum(b.numel() for _, b in _persistent_buffers(module)))


def count_breakdown(
    model: nn.Module, expand: Sequence[str] = ('roi_head', )) -> List[ModuleCount]:
    """Per-module counts whose rows sum to the whole model's.

    One row per child of ``model`` (``backbone``, ``neck``, ``rpn_head``,
    ``roi_head``, ...); a child named in ``expand`` is replaced by one row
    per grandchild (``roi_head.shared_head``, ``roi_head.bbox_head``, ...).
    Tensors held by ``model`` or an expanded child outside their children
    get an ``'(own)'`` row. Rows without any parameter or buffer are left
    out (e.g. ``data_preprocessor``, ``roi_head.bbox_roi_extractor``).

    Args:
        model (nn.Module): The model.
        expand (Sequence[str]): Names of the children of ``model`` broken
            down one level further. Defaults to ``('roi_head', )``.

    Returns:
        list[ModuleCount]: The rows, in module registration order.
    """
    rows = [_own_count(model, '(own)')]
    for child_name, child in model.named_children():
        if child_name in expand:
            rows.append(_own_count(child, f'{child_name} (own)'))
            rows += [
                count_module(grandchild, f'{child_name}.{grandchild_name}')
                for grandchild_name, grandchild in child.named_children()
            ]
        else:
            rows.append(count_module(child, child_name))
    return [row for row in rows if row.params or row.buffers]


def state_buffers(model: nn.Module) -> List[Tuple[str, Tuple[int, ...]]]:
    """The persistent buffers outside normalisation layers, e.g. the OIM
    lookup table (``...loss_reid.lut``), queue and queue pointer.

    BatchNorm/InstanceNorm running statistics are left out: every detector
    with such layers has them.

    Args:
        model (nn.Module): The model.

    Returns:
        list[tuple[str, tuple[int, ...]]]: ``(dotted name, shape)`` of each
        such buffer, in registration order.
    """
    found = []
    for module_name, module in model.named_modules():
        if isinstance(module, _NormBase):
            continue
        prefix = f'{module_name}.' if module_name else ''
        for buffer_name, buffer in _persistent_buffers(module, recurse=False):
            found.append((prefix + buffer_name, tuple(buffer.shape)))
    return found
