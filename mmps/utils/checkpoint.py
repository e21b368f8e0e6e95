"""Safe loading of mmengine checkpoints under torch>=2.6.

torch>=2.6 unpickles checkpoints with ``weights_only=True`` by default, and
mmengine 0.10 calls ``torch.load`` without that argument. A checkpoint written
by mmengine's runner carries, besides tensors and plain containers, the
message hub's :class:`~mmengine.logging.HistoryBuffer` objects and the numpy
arrays and scalars inside them, which the restricted unpickler refuses: plain
``--resume`` then fails.

Instead of turning the safety off (``weights_only=False`` would run arbitrary
code from any file), the few objects that mmengine checkpoints contain are
added to torch's allow-list. Anything else in a checkpoint is still refused by
torch, with its own message naming it.
"""
from typing import Callable, List, Tuple, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

SafeGlobal = Union[Callable, Tuple[Callable, str]]
# set by every HistoryBuffer.__init__; custom ones join through register_statistics
DEFAULT_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_buffer_statistic(owner: type, name: str) -> Callable:
    """Stand-in for ``builtins.getattr`` while unpickling checkpoints.

    A ``HistoryBuffer`` pickles its statistics methods (``HistoryBuffer.mean``
    ...) as ``getattr(HistoryBuffer, 'mean')``. Allowing the real ``getattr``
    would let a file fetch any attribute of any allowed object; this accepts
    exactly those lookups and refuses every other.
    """
    known = (*DEFAULT_STATISTICS, *HistoryBuffer._statistics_methods)
    if owner is HistoryBuffer and name in known:
        return getattr(HistoryBuffer, name)
    raise torch.serialization.pickle.UnpicklingError(
        f'Refusing getattr({owner!r}, {name!r}) while loading a checkpoint: only '
        'the statistics methods of mmengine.logging.HistoryBuffer are allowed.')


def checkpoint_safe_globals() -> List[SafeGlobal]:
    """The objects that mmengine checkpoints need to unpickle.

    Returns:
        list: ``HistoryBuffer``; the restricted ``getattr`` stand-in for its
        statistics methods; numpy's array reconstruction function,
        ``numpy.ndarray``, ``numpy.dtype`` and the concrete dtype classes
        (``numpy.dtypes.Float64DType`` ...: a dtype's state is set on an
        instance of one) for logged arrays, and numpy's scalar constructor
        (numpy scalars in logged runtime information).
    """
    multiarray = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray
    dtype_classes = [
        getattr(np.dtypes, name) for name in dir(np.dtypes) if name.endswith('DType')
    ]
    return [
        HistoryBuffer,
        (_history_buffer_statistic, 'builtins.getattr'),
        multiarray._reconstruct,
        multiarray.scalar,
        np.ndarray,
        np.dtype,
        *dtype_classes,
    ]


def register_checkpoint_safe_globals() -> None:
    """Allow-list :func:`checkpoint_safe_globals` for ``torch.load``.

    A no-op on torch versions without ``torch.serialization.add_safe_globals``
    (< 2.4), which load with ``weights_only=False`` by default anyway.
    """
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is not None:
        add_safe_globals(checkpoint_safe_globals())
