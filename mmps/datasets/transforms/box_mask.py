"""Weak foreground masks made from boxes."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmdet.structures.mask import BitmapMasks


@TRANSFORMS.register_module()
class BoxesToForegroundMasks(BaseTransform):
    """Box-wise foreground targets: every GT box filled with 1.

    Place it after the geometric transforms so the targets match the final
    image size (``img_shape``).

    Args:
        mode (str): ``'semantic'`` writes ``gt_seg_map`` (H, W) uint8, 1
            inside any box (packed as ``gt_sem_seg``); ``'instance'`` writes
            ``gt_masks`` as :class:`BitmapMasks` (N, H, W), one box each.
    """

    def __init__(self, mode: str = 'semantic') -> None:
        if mode not in ('semantic', 'instance'):
            raise ValueError(
                f"mode must be 'semantic' or 'instance', got {mode!r}")
        self.mode = mode

    def transform(self, results: dict) -> dict:
        h, w = results['img_shape'][:2]
        boxes = results['gt_bboxes']
        boxes = boxes.numpy() if hasattr(boxes, 'numpy') else np.asarray(boxes)
        masks = np.zeros((len(boxes), h, w), np.uint8)
        for k, (x1, y1, x2, y2) in enumerate(boxes.reshape(-1, 4)):
            x1, y1 = max(int(np.floor(x1)), 0), max(int(np.floor(y1)), 0)
            x2, y2 = min(int(np.ceil(x2)), w), min(int(np.ceil(y2)), h)
            masks[k, y1:y2, x1:x2] = 1
        if self.mode == 'semantic':
            results['gt_seg_map'] = masks.max(0) if len(masks) else np.zeros(
                (h, w), np.uint8)
        else:
            results['gt_masks'] = BitmapMasks(masks, h, w)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(mode={self.mode!r})'
