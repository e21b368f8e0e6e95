"""Straightforward per-query loop version of the search protocol.

Written independently of ``mmps.evaluation.functional`` so that the tests
compare two implementations.
"""
import numpy as np


def ref_iou(a, b):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) -
             inter)
    return inter / union if union > 0 else 0.0


def ref_average_precision(labels, scores):
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    if not labels.any():
        return 0.0
    ap, prev_recall = 0.0, 0.0
    for s in sorted(set(scores.tolist()), reverse=True):
        above = scores >= s
        tp = labels[above].sum()
        recall = tp / labels.sum()
        ap += (recall - prev_recall) * tp / above.sum()
        prev_recall = recall
    return ap


def loop_search(query_feats, query_imgs, query_pids, det_boxes, det_scores,
                det_feats, det_imgs, gt_boxes, gt_imgs, gt_pids, num_images,
                gallery=None, img_cams=None, cross_camera=False,
                det_thresh=0.5, topk=(1, 5, 10)):
    """Returns (Q,) AP and (Q, K) CMC hits, one query at a time."""
    aps, cmcs = [], []
    for q in range(len(query_imgs)):
        qimg, pid = query_imgs[q], query_pids[q]
        imgs = range(num_images) if gallery is None else gallery[q]
        imgs = [i for i in imgs if i != qimg]
        if cross_camera:
            imgs = [i for i in imgs if img_cams[i] != img_cams[qimg]]
        y_true, y_score, count_gt, count_tp = [], [], 0, 0
        for i in imgs:
            dets = [j for j in range(len(det_imgs))
                    if det_imgs[j] == i and det_scores[j] >= det_thresh]
            sims = [float(det_feats[j] @ query_feats[q]) for j in dets]
            labels = [False] * len(dets)
            # one occurrence per image, matched against the image's first
            # box of the person (SeqNet's eval_search_prw)
            boxes = [g for g in range(len(gt_imgs))
                     if gt_imgs[g] == i and pid >= 0 and gt_pids[g] == pid]
            for g in boxes[:1]:
                count_gt += 1
                w = gt_boxes[g][2] - gt_boxes[g][0]
                h = gt_boxes[g][3] - gt_boxes[g][1]
                thr = min(0.5, w * h / ((w + 10) * (h + 10)))
                for k in sorted(range(len(dets)), key=lambda k: -sims[k]):
                    if ref_iou(det_boxes[dets[k]], gt_boxes[g]) >= thr:
                        labels[k] = True
                        count_tp += 1
                        break
            y_true += labels
            y_score += sims
        y_true, y_score = np.array(y_true, bool), np.array(y_score)
        if count_tp == 0:
            aps.append(0.0)
            cmcs.append([False] * len(topk))
            continue
        aps.append(ref_average_precision(y_true, y_score) * count_tp /
                   count_gt)
        best = y_score[y_true].max()
        rank = (y_score > best).sum()
        cmcs.append([rank < k for k in topk])
    return np.array(aps), np.array(cmcs, dtype=bool)
