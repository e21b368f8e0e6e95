"""A slow, per-query reference of the person-search protocol.

Written independently of :mod:`mmps.evaluation.functional`, in the shape of
the community's reference code (SeqNet's ``eval_func.py``): one query at a
time, one gallery image at a time, with its own IoU, average precision and a
brute-force CBGM matching. The tests compare the vectorised evaluator with
it, and ``tools/analysis_tools/benchmark_eval.py`` times both.
"""
from itertools import permutations
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np


def _iou(a: Sequence[float], b: Sequence[float]) -> float:
    """IoU of two x1y1x2y2 boxes, without the +1 pixel; 0 for no union."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)
    return inter / union if union > 0 else 0.0


def _average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the precision-recall steps; tied scores are one step."""
    order = np.argsort(-scores, kind='stable')
    ranked, hits = scores[order], np.cumsum(labels[order])
    step_ends = np.r_[np.flatnonzero(ranked[1:] != ranked[:-1]), len(ranked) - 1]
    precision = hits[step_ends] / (step_ends + 1)
    recall = hits[step_ends] / hits[-1]
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))


def _brute_force_matching(weights: np.ndarray) -> List[Tuple[int, int]]:
    """(row, column) pairs of a maximum-total-weight matching that pairs
    every node of the smaller side, found by trying all of them."""
    num_rows, num_cols = weights.shape
    best, best_pairs = -np.inf, []
    if num_rows <= num_cols:
        candidates = ([(r, c) for r, c in enumerate(cols)]
                      for cols in permutations(range(num_cols), num_rows))
    else:
        candidates = ([(r, c) for c, r in enumerate(rows)]
                      for rows in permutations(range(num_rows), num_cols))
    for pairs in candidates:
        total = sum(weights[r, c] for r, c in pairs)
        if total > best:
            best, best_pairs = total, pairs
    return best_pairs


def _cbgm(sims: Dict[int, np.ndarray], feats: Dict[int, np.ndarray],
          query_feat: np.ndarray, context: np.ndarray, k1: int) -> None:
    """SeqNet's CBGM, in place on ``sims`` (gallery image -> similarities
    of its kept detections): every image holding one of the ``k1`` most
    similar detections is matched between [query, context] and its
    detections; when the query is matched, its detection takes the largest
    weight of the matched pairs."""
    flat = sorted(((s, img) for img, values in sims.items() for s in values),
                  key=lambda item: -item[0])
    people = np.vstack([query_feat[None], context.reshape(-1, len(query_feat))])
    for img in {img for _, img in flat[:k1]}:
        weights = people @ feats[img].T
        pairs = _brute_force_matching(weights)
        for row, col in pairs:
            if row == 0:
                sims[img][col] = max(weights[r, c] for r, c in pairs)


def loop_search(
        query_feats: np.ndarray,
        query_imgs: np.ndarray,
        query_pids: np.ndarray,
        det_boxes: np.ndarray,
        det_scores: np.ndarray,
        det_feats: np.ndarray,
        det_imgs: np.ndarray,
        gt_boxes: np.ndarray,
        gt_imgs: np.ndarray,
        gt_pids: np.ndarray,
        num_images: int,
        gallery: Optional[Sequence[np.ndarray]] = None,
        img_cams: Optional[np.ndarray] = None,
        cross_camera: bool = False,
        score_thr: float = 0.5,
        topk: Sequence[int] = (1, 5, 10),
        cbgm_context: Optional[Sequence[np.ndarray]] = None,
        cbgm_k1: int = 10,
        queries: Optional[Sequence[int]] = None) -> Tuple[np.ndarray, np.ndarray]:
    """AP and CMC of each query, one query and one gallery image at a time.

    Takes the arrays of :func:`mmps.evaluation.functional.eval_search` with
    one gallery setting: ``gallery`` (Q lists of image indices), or None for
    every other image.

    Args:
        query_feats (np.ndarray): (Q, D) query embeddings.
        query_imgs (np.ndarray): (Q,) image index of each query.
        query_pids (np.ndarray): (Q,) person id of each query.
        det_boxes (np.ndarray): (N, 4) x1y1x2y2 gallery detections.
        det_scores (np.ndarray): (N,) detection scores.
        det_feats (np.ndarray): (N, D) detection embeddings.
        det_imgs (np.ndarray): (N,) image index of each detection.
        gt_boxes (np.ndarray): (G, 4) x1y1x2y2 ground-truth boxes.
        gt_imgs (np.ndarray): (G,) image index of each box.
        gt_pids (np.ndarray): (G,) person ids, -1 unlabelled.
        num_images (int): number of images I.
        gallery (Sequence[np.ndarray], optional): per-query gallery image
            lists. Defaults to None (every other image).
        img_cams (np.ndarray, optional): (I,) camera ids, for
            ``cross_camera``. Defaults to None.
        cross_camera (bool): skip the query camera's images. Defaults to
            False.
        score_thr (float): minimum detection score searched. Defaults to
            0.5.
        topk (Sequence[int]): CMC ranks. Defaults to (1, 5, 10).
        cbgm_context (Sequence[np.ndarray], optional): Q arrays (C_q, D) of
            context embeddings; turns CBGM on. Defaults to None.
        cbgm_k1 (int): top detections whose images CBGM re-ranks. Defaults
            to 10.
        queries (Sequence[int], optional): the queries to evaluate.
            Defaults to None (all of them).

    Returns:
        tuple[np.ndarray, np.ndarray]: (K,) AP and (K, len(topk)) bool CMC
        hits of the K evaluated queries.
    """
    by_img: Dict[int, List[int]] = {i: [] for i in range(num_images)}
    for j, img in enumerate(det_imgs):
        if det_scores[j] >= score_thr:
            by_img[int(img)].append(j)
    by_img = {i: np.array(dets, dtype=np.int64) for i, dets in by_img.items()}
    gt_by_img: Dict[int, List[int]] = {i: [] for i in range(num_images)}
    for g, img in enumerate(gt_imgs):
        gt_by_img[int(img)].append(g)
    aps, cmcs = [], []
    for q in range(len(query_imgs)) if queries is None else queries:
        qimg, pid = int(query_imgs[q]), int(query_pids[q])
        imgs = range(num_images) if gallery is None else gallery[q]
        imgs = [
            int(i) for i in imgs
            if i != qimg and not (cross_camera and img_cams[i] == img_cams[qimg])
        ]
        sims = {
            i: det_feats[by_img[i]].reshape(-1, len(query_feats[q])) @ query_feats[q]
            for i in imgs
        }
        if cbgm_context is not None:
            feats = {i: det_feats[by_img[i]] for i in imgs}
            _cbgm(sims, feats, query_feats[q], np.asarray(cbgm_context[q]), cbgm_k1)
        y_true, y_score, count_gt, count_tp = [], [], 0, 0
        for i in imgs:
            labels = np.zeros(len(by_img[i]), dtype=bool)
            # one occurrence per image, matched against the image's first
            # box of the person (SeqNet's eval_search_prw)
            boxes = [g for g in gt_by_img[i] if pid >= 0 and gt_pids[g] == pid]
            for g in boxes[:1]:
                count_gt += 1
                box = gt_boxes[g]
                w, h = box[2] - box[0], box[3] - box[1]
                thr = min(0.5, w * h / ((w + 10) * (h + 10)))
                for k in np.argsort(-sims[i], kind='stable'):
                    if _iou(det_boxes[by_img[i][k]], box) >= thr:
                        labels[k] = True
                        count_tp += 1
                        break
            y_true.append(labels)
            y_score.append(sims[i])
        if count_tp == 0:
            aps.append(0.0)
            cmcs.append([False] * len(topk))
            continue
        y_true, y_score = np.concatenate(y_true), np.concatenate(y_score)
        aps.append(_average_precision(y_true, y_score) * count_tp / count_gt)
        rank = (y_score > y_score[y_true].max()).sum()
        cmcs.append([rank < k for k in topk])
    return np.array(aps), np.array(cmcs, dtype=bool).reshape(-1, len(topk))
