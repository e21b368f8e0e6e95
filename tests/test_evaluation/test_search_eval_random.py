import numpy as np
import pytest

from mmps.evaluation.functional import eval_search
from .loop_reference import loop_search


def random_case(rng):
    """A small random protocol with empty images, ties, duplicate
    detections and person ids repeated on several boxes of one image."""
    num_images = int(rng.integers(1, 7))
    dim = 3
    cams = rng.integers(0, 3, num_images)
    gt_boxes, gt_imgs, gt_pids = [], [], []
    for i in range(num_images):
        n = int(rng.integers(0, 4))
        pids = list(rng.permutation(5)[:n] - 1)
        boxes = []
        for _ in pids:
            x, y = rng.integers(0, 50, 2)
            w, h = rng.integers(4, 60, 2)
            boxes.append([x, y, x + w, y + h])
        labelled = [k for k, p in enumerate(pids) if p >= 0]
        if labelled and rng.random() < 0.4:
            # the id again on another box, before or after the first one,
            # either a shifted copy (a detection may fit both) or elsewhere
            k = int(rng.choice(labelled))
            if rng.random() < 0.5:
                box = list(np.asarray(boxes[k]) + rng.integers(-3, 4, 4))
            else:
                x, y = rng.integers(0, 50, 2)
                box = [x, y, x + rng.integers(4, 60), y + rng.integers(4, 60)]
            at = int(rng.integers(0, len(pids) + 1))
            pids.insert(at, pids[k])
            boxes.insert(at, box)
        gt_boxes += boxes
        gt_imgs += [i] * len(pids)
        gt_pids += pids
    gt_boxes = np.array(gt_boxes, float).reshape(-1, 4)
    gt_imgs, gt_pids = np.array(gt_imgs, int), np.array(gt_pids, int)
    det_boxes, det_imgs = [], []
    for i in range(num_images):
        for _ in range(int(rng.integers(0, 5))):
            own = np.flatnonzero(gt_imgs == i)
            if own.size and rng.random() < 0.7:
                box = gt_boxes[rng.choice(own)] + rng.integers(-2, 3, 4)
            else:
                x, y = rng.integers(0, 50, 2)
                box = [x, y, x + rng.integers(2, 60), y + rng.integers(2, 60)]
            det_boxes.append(box)
            det_imgs.append(i)
    det_boxes = np.array(det_boxes, float).reshape(-1, 4)
    det_imgs = np.array(det_imgs, int)
    num_dets = len(det_imgs)
    # dyadic values keep every dot product exact, so ties stay ties
    det_feats = rng.integers(-2, 3, (num_dets, dim)) / 4.0
    det_scores = rng.choice([0.3, 0.5, 0.9, 0.9], num_dets)
    labelled = np.flatnonzero(gt_pids >= 0)
    num_queries = int(rng.integers(1, 5))
    if labelled.size:
        picks = rng.choice(labelled, num_queries)
        query_imgs, query_pids = gt_imgs[picks], gt_pids[picks]
    else:
        query_imgs = rng.integers(0, num_images, num_queries)
        query_pids = rng.integers(-1, 4, num_queries)
    query_feats = rng.integers(-2, 3, (num_queries, dim)) / 4.0
    gallery = [rng.choice(num_images, int(rng.integers(0, num_images + 1)),
                          replace=False) for _ in range(num_queries)]
    return dict(query_feats=query_feats, query_imgs=query_imgs,
                query_pids=query_pids, det_boxes=det_boxes,
                det_scores=det_scores, det_feats=det_feats,
                det_imgs=det_imgs, gt_boxes=gt_boxes, gt_imgs=gt_imgs,
                gt_pids=gt_pids, num_images=num_images, img_cams=cams), gallery


@pytest.mark.parametrize('seed', range(3))
def test_vectorised_matches_loop(seed):
    rng = np.random.default_rng(seed)
    for _ in range(150):
        case, gallery = random_case(rng)
        cross = bool(rng.random() < 0.3)
        thresh = float(rng.choice([0.0, 0.5]))
        out = eval_search(**case, galleries={'list': gallery, 'all': None},
                          cross_camera=cross, det_thresh=thresh,
                          block_size=int(rng.integers(1, 4)))
        for name, gal in (('list', gallery), ('all', None)):
            ap, cmc = loop_search(**case, gallery=gal, cross_camera=cross,
                                  det_thresh=thresh)
            np.testing.assert_allclose(out[name].ap, ap, atol=1e-6)
            np.testing.assert_array_equal(out[name].cmc, cmc)


def test_cbgm_without_context_changes_nothing():
    # with no context person, the matching pairs the query with its most
    # similar detection and keeps that similarity: the ranking is unchanged
    rng = np.random.default_rng(7)
    for _ in range(100):
        case, gallery = random_case(rng)
        plain = eval_search(**case, galleries={'list': gallery, 'all': None})
        empty = [np.zeros((0, 3))] * len(case['query_imgs'])
        cbgm = eval_search(**case, galleries={'list': gallery, 'all': None},
                           cbgm_context=empty, cbgm_k1=3)
        for name in plain:
            np.testing.assert_allclose(cbgm[name].ap, plain[name].ap)
            np.testing.assert_array_equal(cbgm[name].cmc, plain[name].cmc)
