"""Box operations on NumPy arrays, shared by datasets, converters and the
evaluation.

Pure NumPy on purpose: the protocol core and the annotation tools use them
where torch, mmcv's compiled ops or mmdet may be missing, and mmdet's own
NumPy ``bbox_overlaps`` sits behind an import of ``mmdet.evaluation``. Areas
are ``(x2 - x1) * (y2 - y1)``, without the +1 pixel convention, as in the
CUHK-SYSU and PRW reference evaluations.
"""
from typing import Sequence, Union

import numpy as np

ArrayLike = Union[np.ndarray, Sequence[float], Sequence[Sequence[float]]]


def xywh_to_xyxy(boxes: ArrayLike) -> np.ndarray:
    """Convert COCO ``[x, y, w, h]`` boxes to ``[x1, y1, x2, y2]``.

    Args:
        boxes (np.ndarray | Sequence): (N, 4) boxes as x, y, width, height,
            or one box of 4 numbers.

    Returns:
        np.ndarray: (N, 4) float64 boxes as x1, y1, x2, y2 (N = 1 for one
        box).
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1)


def paired_iou(boxes1: ArrayLike, boxes2: ArrayLike) -> np.ndarray:
    """IoU of row ``i`` of ``boxes1`` with row ``i`` of ``boxes2``.

    Args:
        boxes1 (np.ndarray | Sequence): (N, 4) x1y1x2y2 boxes.
        boxes2 (np.ndarray | Sequence): (N, 4) x1y1x2y2 boxes, or (1, 4):
            one box compared with every row of ``boxes1``.

    Returns:
        np.ndarray: (N,) float64 IoU; 0 where the union is empty.
    """
    boxes1 = np.asarray(boxes1, dtype=np.float64).reshape(-1, 4)
    boxes2 = np.asarray(boxes2, dtype=np.float64).reshape(-1, 4)
    iw = np.minimum(boxes1[:, 2], boxes2[:, 2]) - np.maximum(boxes1[:, 0], boxes2[:, 0])
    ih = np.minimum(boxes1[:, 3], boxes2[:, 3]) - np.maximum(boxes1[:, 1], boxes2[:, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    union = area1 + area2 - inter
    out = np.zeros_like(inter)
    np.divide(inter, union, out=out, where=union > 0)
    return out


def search_iou_threshold(gt_boxes: ArrayLike) -> np.ndarray:
    """Per-box IoU threshold ``min(0.5, w*h / ((w + 10) * (h + 10)))``.

    Small ground-truth persons get a looser threshold, as in the CUHK-SYSU
    and PRW protocols.

    Args:
        gt_boxes (np.ndarray | Sequence): (N, 4) x1y1x2y2 ground-truth
            boxes.

    Returns:
        np.ndarray: (N,) float64 thresholds.
    """
    gt_boxes = np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 4)
    w = gt_boxes[:, 2] - gt_boxes[:, 0]
    h = gt_boxes[:, 3] - gt_boxes[:, 1]
    return np.minimum(0.5, w * h / ((w + 10.0) * (h + 10.0)))
