"""Box operations in NumPy (no torch, mmcv or mmdet import)."""
from .bbox import paired_iou, search_iou_threshold, xywh_to_xyxy

__all__ = ['paired_iou', 'search_iou_threshold', 'xywh_to_xyxy']
