"""Box helpers of the person-search protocol (IoU without the +1 pixel)."""
import numpy as np


def xywh_to_xyxy(boxes: np.ndarray) -> np.ndarray:
    """Convert COCO ``[x, y, w, h]`` boxes to ``[x1, y1, x2, y2]``.

    Args:
        boxes (np.ndarray): (N, 4) boxes as x, y, width, height.

    Returns:
        np.ndarray: (N, 4) float64 boxes as x1, y1, x2, y2.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1)


def paired_iou(boxes1: np.ndarray, boxes2: np.ndarray) -> np.ndarray:
    """IoU of row ``i`` of ``boxes1`` with row ``i`` of ``boxes2``.

    Areas are ``(x2 - x1) * (y2 - y1)``, without the +1 pixel convention.

    Args:
        boxes1 (np.ndarray): (N, 4) x1y1x2y2 boxes.
        boxes2 (np.ndarray): (N, 4) x1y1x2y2 boxes.

    Returns:
        np.ndarray: (N,) float64 IoU; 0 where the union is empty.
    """
    boxes1 = np.asarray(boxes1, dtype=np.float64).reshape(-1, 4)
    boxes2 = np.asarray(boxes2, dtype=np.float64).reshape(-1, 4)
    iw = np.minimum(boxes1[:, 2], boxes2[:, 2]) - np.maximum(
        boxes1[:, 0], boxes2[:, 0])
    ih = np.minimum(boxes1[:, 3], boxes2[:, 3]) - np.maximum(
        boxes1[:, 1], boxes2[:, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    union = area1 + area2 - inter
    out = np.zeros_like(inter)
    np.divide(inter, union, out=out, where=union > 0)
    return out


def search_iou_threshold(gt_boxes: np.ndarray) -> np.ndarray:
    """Per-box IoU threshold ``min(0.5, w*h / ((w + 10) * (h + 10)))``.

    Small ground-truth persons get a looser threshold, as in the CUHK-SYSU
    and PRW protocols.

    Args:
        gt_boxes (np.ndarray): (N, 4) x1y1x2y2 ground-truth boxes.

    Returns:
        np.ndarray: (N,) float64 thresholds.
    """
    gt_boxes = np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 4)
    w = gt_boxes[:, 2] - gt_boxes[:, 0]
    h = gt_boxes[:, 3] - gt_boxes[:, 1]
    return np.minimum(0.5, w * h / ((w + 10.0) * (h + 10.0)))


def expand_image_pairs(img_a: np.ndarray, img_b_start: np.ndarray,
                       img_b_count: np.ndarray):
    """All pairs (a, b) of items that share an image.

    Items ``b`` must be sorted by image so that image ``i`` holds the
    contiguous range ``img_b_start[i] : img_b_start[i] + img_b_count[i]``.

    Args:
        img_a (np.ndarray): (A,) image index of each item ``a``.
        img_b_start (np.ndarray): (I,) first ``b`` index of each image.
        img_b_count (np.ndarray): (I,) number of ``b`` items per image.

    Returns:
        tuple[np.ndarray, np.ndarray]: (P,) ``a`` indices (ascending) and
        (P,) ``b`` indices of the pairs.
    """
    counts = img_b_count[img_a]
    pair_a = np.repeat(np.arange(len(img_a)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(
        np.cumsum(counts) - counts, counts)
    pair_b = np.repeat(img_b_start[img_a], counts) + offsets
    return pair_a, pair_b
