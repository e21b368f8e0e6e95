"""Weak foreground masks made from boxes."""
from typing import Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmdet.structures.mask import BitmapMasks


def box_pixel_slices(box: Sequence[float], height: int,
                     width: int) -> Tuple[slice, slice]:
    """Rows and columns of the pixels a box covers, clipped to the image.

    A pixel (row r, column c) is inside box ``[x1, y1, x2, y2]`` when
    ``floor(x1) <= c < ceil(x2)`` and ``floor(y1) <= r < ceil(y2)``: a
    partly covered pixel counts as covered.

    Args:
        box (Sequence[float]): x1y1x2y2 box.
        height (int): Image height H.
        width (int): Image width W.

    Returns:
        Tuple[slice, slice]: ``(rows, columns)``, to index an (H, W, ...)
        array; empty when the box lies outside the image.
    """
    x1, y1, x2, y2 = box
    c1, r1 = max(int(np.floor(x1)), 0), max(int(np.floor(y1)), 0)
    c2, r2 = min(int(np.ceil(x2)), width), min(int(np.ceil(y2)), height)
    return slice(r1, r2), slice(c1, c2)


@TRANSFORMS.register_module()
class BoxesToForegroundMasks(BaseTransform):
    """Box-wise foreground targets: every GT box filled with 1.

    Place it after the geometric transforms so the targets match the final
    image size (``img_shape``). Pixels are covered as in
    :func:`box_pixel_slices`.

    Args:
        mode (str): ``'semantic'`` writes ``gt_seg_map`` (H, W) uint8, 1
            inside any box (packed as ``gt_sem_seg``); ``'instance'`` writes
            ``gt_masks`` as :class:`BitmapMasks` (N, H, W), one box each.
    """

    def __init__(self, mode: str = 'semantic') -> None:
        if mode not in ('semantic', 'instance'):
            raise ValueError(f"mode must be 'semantic' or 'instance', got {mode!r}")
        self.mode = mode

    def transform(self, results: dict) -> dict:
        h, w = results['img_shape'][:2]
        boxes = results['gt_bboxes']
        boxes = boxes.numpy() if hasattr(boxes, 'numpy') else np.asarray(boxes)
        masks = np.zeros((len(boxes), h, w), np.uint8)
        for k, box in enumerate(boxes.reshape(-1, 4)):
            rows, cols = box_pixel_slices(box, h, w)
            masks[k, rows, cols] = 1
        if self.mode == 'semantic':
            results['gt_seg_map'] = masks.max(0) if len(masks) else np.zeros(
                (h, w), np.uint8)
        else:
            results['gt_masks'] = BitmapMasks(masks, h, w)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(mode={self.mode!r})'
