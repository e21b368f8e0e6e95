"""Detection recall / AP with mutual-best-IoU matching, pure NumPy."""
from typing import Tuple

import numpy as np

from mmps.structures import paired_iou
from .average_precision import average_precision
from .image_pairs import expand_image_pairs


def _first_per_group(group: np.ndarray, iou: np.ndarray,
                     other: np.ndarray) -> np.ndarray:
    """(P,) bool: pair has the highest IoU of its group, ties to lowest
    ``other`` index (``np.argmax`` semantics)."""
    order = np.lexsort((other, -iou, group))
    first = np.ones(len(order), dtype=bool)
    first[1:] = group[order][1:] != group[order][:-1]
    out = np.zeros(len(order), dtype=bool)
    out[order[first]] = True
    return out


def eval_detection(gt_boxes: np.ndarray,
                   gt_imgs: np.ndarray,
                   det_boxes: np.ndarray,
                   det_scores: np.ndarray,
                   det_imgs: np.ndarray,
                   num_images: int,
                   score_thr: float = 0.01,
                   iou_thresh: float = 0.5) -> Tuple[float, float]:
    """Detection recall and AP of the detections scoring >= ``score_thr``.

    Per image, a (ground truth, detection) pair matches when its IoU is
    >= ``iou_thresh`` and is the highest both among the detection's ground
    truths and among the ground truth's detections (ties go to the lower
    index). Recall is matches / ground truths; AP is scikit-learn's average
    precision of the matched flags ranked by score, times the recall.

    Args:
        gt_boxes (np.ndarray): (G, 4) x1y1x2y2 ground-truth boxes.
        gt_imgs (np.ndarray): (G,) image index of each ground truth.
        det_boxes (np.ndarray): (N, 4) x1y1x2y2 detections.
        det_scores (np.ndarray): (N,) scores.
        det_imgs (np.ndarray): (N,) image index of each detection.
        num_images (int): number of images I.
        score_thr (float): minimum score kept. Defaults to 0.01, the
            threshold of SeqNet's detection figures (its search uses 0.5).
        iou_thresh (float): match IoU. Defaults to 0.5.

    Returns:
        tuple[float, float]: recall and AP (0 when there is no ground truth).
    """
    gt_boxes = np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 4)
    gt_imgs = np.asarray(gt_imgs, dtype=np.int64).ravel()
    det_scores = np.asarray(det_scores, dtype=np.float64).ravel()
    keep = det_scores >= score_thr
    det_imgs = np.asarray(det_imgs, dtype=np.int64).ravel()[keep]
    order = np.argsort(det_imgs, kind='stable')
    det_imgs = det_imgs[order]
    det_boxes = np.asarray(det_boxes, np.float64).reshape(-1, 4)[keep][order]
    det_scores = det_scores[keep][order]
    if len(gt_imgs) == 0:
        return 0.0, 0.0
    count = np.bincount(det_imgs, minlength=num_images)
    pair_g, pair_d = expand_image_pairs(gt_imgs, np.cumsum(count) - count, count)
    iou = paired_iou(gt_boxes[pair_g], det_boxes[pair_d])
    match = ((iou >= iou_thresh) & _first_per_group(pair_d, iou, pair_g)
             & _first_per_group(pair_g, iou, pair_d))
    is_tp = np.zeros(len(det_imgs), dtype=bool)
    is_tp[pair_d[match]] = True
    recall = float(match.sum() / len(gt_imgs))
    return recall, average_precision(is_tp, det_scores) * recall
