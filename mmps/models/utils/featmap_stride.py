"""Checking a configured feature-map stride against the map it is used on."""
import math
from typing import Sequence


def check_featmap_stride(featmap_size: Sequence[int], stride: int,
                         batch_input_shape: Sequence[int], level: str) -> None:
    """Check that a map of ``featmap_size`` has stride ``stride`` with
    respect to the padded batch input.

    A stride-``s`` network reduces an input side ``n`` to ``floor(n / s)``
    or ``ceil(n / s)`` (strided convolutions and pooling round either way;
    a chain of them stays between the two), so each side of the map must be
    one of those two values.

    Args:
        featmap_size (Sequence[int]): (H, W) of the feature map.
        stride (int): The stride the configuration assumes for it.
        batch_input_shape (Sequence[int]): (H, W) of the padded batch input
            (``batch_input_shape`` of the data samples' metainfo).
        level (str): The map, as named in the error message, e.g.
            ``'level 2 (conv3), read by seg_head'``.

    Raises:
        ValueError: The sizes do not agree: the stride belongs to another
            level than the one read.
    """
    height, width = (int(s) for s in featmap_size)
    input_h, input_w = (int(s) for s in batch_input_shape)
    if all(
            math.floor(full / stride) <= size <= math.ceil(full / stride)
            for size, full in ((height, input_h), (width, input_w))):
        return
    raise ValueError(
        f'{level}: the feature map is {height}x{width} for a padded batch '
        f'input of {input_h}x{input_w}, but the configured stride {stride} '
        f'implies a {math.floor(input_h / stride)}..'
        f'{math.ceil(input_h / stride)} x {math.floor(input_w / stride)}..'
        f'{math.ceil(input_w / stride)} map: the stride does not belong to '
        'the level read (check the configured strides against the '
        'backbone levels)')
