"""Box and mask operations in NumPy (no torch, mmcv or mmdet import)."""
from .bbox import paired_iou, search_iou_threshold, xywh_to_xyxy
from .mask import mask_to_polygons

__all__ = ['paired_iou', 'search_iou_threshold', 'xywh_to_xyxy', 'mask_to_polygons']
