"""eval_search: hand-built protocol cases, each expected number worked out
in the comments, and random cases against the slow loop reference."""
import numpy as np
import pytest

from mmps.evaluation.functional import average_precision, eval_search
from mmps.structures import search_iou_threshold
from mmps.testing import loop_search, random_search_case

BIG = [0., 0., 100., 200.]  # 100 x 200 person: IoU threshold 0.5


def feat(sim):
    """2-d unit embedding whose dot product with [1, 0] is exactly sim."""
    return [sim, np.sqrt(1 - sim**2)]


def run(dets, gts, num_images, galleries=None, queries=((0, 7), ), **kwargs):
    """dets: (img, box, score, sim); gts: (img, box, pid); queries:
    (img, pid) with embedding [1, 0]."""
    det_imgs = np.array([d[0] for d in dets], int)
    out = eval_search(
        query_feats=np.tile([1., 0.], (len(queries), 1)),
        query_imgs=np.array([q[0] for q in queries]),
        query_pids=np.array([q[1] for q in queries]),
        det_boxes=np.array([d[1] for d in dets], float).reshape(-1, 4),
        det_scores=np.array([d[2] for d in dets], float),
        det_feats=np.array([feat(d[3]) for d in dets]).reshape(-1, 2),
        det_imgs=det_imgs,
        gt_boxes=np.array([g[1] for g in gts], float).reshape(-1, 4),
        gt_imgs=np.array([g[0] for g in gts]),
        gt_pids=np.array([g[2] for g in gts]),
        num_images=num_images,
        galleries={'g': galleries},
        **kwargs)
    return out['g']


def test_duplicate_boxes_give_one_true_positive():
    # image 1 holds the person twice-detected (0.9, 0.8); image 2 has a
    # distractor at 0.95. Ranking: 0.95 F, 0.9 T, 0.8 F (duplicate).
    # AP = precision at the TP = 1/2; recall 1. top1 0, top5 1.
    res = run([(1, BIG, 0.9, 0.9), (1, BIG, 0.9, 0.8), (2, [0, 0, 50, 50], 0.9, 0.95)],
              [(0, BIG, 7), (1, BIG, 7)], 3)
    assert res.ap[0] == pytest.approx(0.5)
    assert res.num_tp[0] == 1 and res.num_occurrences[0] == 1
    assert res.cmc[0].tolist() == [False, True, True]


def test_id_on_two_boxes_of_one_image_counts_once():
    # the reviewer's dup.py: image 1 labels person 7 on two overlapping
    # boxes and holds one detection fitting both. SeqNet counts the image
    # once: one occurrence, one true positive, AP = 1 (was 2 when counted
    # per box).
    res = run([(1, [10, 10, 60, 160], 0.9, 1.0)], [(0, [0, 0, 50, 150], 7),
                                                   (1, [10, 10, 60, 160], 7),
                                                   (1, [12, 12, 62, 162], 7)], 2)
    assert res.ap.tolist() == [1.0]
    assert res.num_occurrences[0] == 1 and res.num_tp[0] == 1
    assert res.summary()['mAP'] == 1.0


def test_id_on_two_persons_matches_the_first_box():
    # the reviewer's dup3.py (PRW frames label one id on two persons):
    # image 1 holds person 7 at A = [0, 0, 50, 150] (first box) and at
    # B = [300, 0, 350, 150]; image 2 an unlabelled person. Detections:
    # A 1.0, B 0.6 (image 1), a distractor 0.8 (image 2). One occurrence,
    # matched against A: ranking 1.0 T, 0.8 F, 0.6 F, AP 1 (SeqNet's value;
    # counting B as a second occurrence gave (1 + 2/3) / 2).
    box_a, box_b = [0, 0, 50, 150], [300, 0, 350, 150]
    gts = [(0, box_a, 7), (1, box_a, 7), (1, box_b, 7), (2, box_a, -1)]
    dets = [(1, box_a, 0.9, 1.0), (1, box_b, 0.9, 0.6), (2, box_a, 0.9, 0.8)]
    res = run(dets, gts, 3)
    assert res.ap.tolist() == [1.0]
    assert res.num_occurrences[0] == 1 and res.num_tp[0] == 1
    # only the first box is matched: a detection of B alone is a miss
    res = run(dets[1:], gts, 3)
    assert res.ap[0] == 0.0 and res.num_tp[0] == 0
    assert res.num_occurrences[0] == 1
    # with B listed first, B is the box matched: 0.8 F, 0.6 T, AP 1/2
    res = run(dets[1:], [gts[0], gts[2], gts[1], gts[3]], 3)
    assert res.ap[0] == pytest.approx(0.5) and res.num_tp[0] == 1


def test_small_box_iou_rule():
    # 10 x 20 person: threshold 200 / (20 * 30) = 1/3. A detection
    # [0, 0, 10, 50] has IoU 200 / 500 = 0.4 >= 1/3: true positive.
    small = [0., 0., 10., 20.]
    assert search_iou_threshold(np.array([small]))[0] == pytest.approx(1 / 3)
    res = run([(1, [0, 0, 10, 50], 0.9, 0.7)], [(0, BIG, 7), (1, small, 7)], 2)
    assert res.ap[0] == pytest.approx(1.0)
    # the same IoU 0.4 on a 100 x 200 person (threshold 0.5) is a miss:
    # [0, 0, 100, 500] has IoU 20000 / 50000 = 0.4.
    res = run([(1, [0, 0, 100, 500], 0.9, 0.7)], [(0, BIG, 7), (1, BIG, 7)], 2)
    assert res.ap[0] == 0.0 and res.num_tp[0] == 0


def test_recall_penalty_for_missed_image():
    # person in images 1 and 2; image 2's only detection scores 0.4 and is
    # dropped by score_thr 0.5. One TP at rank 1: AP = 1 * recall 1/2.
    res = run([(1, BIG, 0.9, 0.6), (2, BIG, 0.4, 0.9)], [(0, BIG, 7), (1, BIG, 7),
                                                         (2, BIG, 7)], 3)
    assert res.ap[0] == pytest.approx(0.5)
    assert res.num_occurrences[0] == 2 and res.num_tp[0] == 1
    assert res.cmc[0, 0]
    # with score_thr 0.3 both are found, ranked 0.9 then 0.6: AP 1
    res = run([(1, BIG, 0.9, 0.6), (2, BIG, 0.4, 0.9)], [(0, BIG, 7), (1, BIG, 7),
                                                         (2, BIG, 7)],
              3,
              score_thr=0.3)
    assert res.ap[0] == pytest.approx(1.0)


def test_images_without_detections():
    # image 1 (person) and image 3 have no detections at all; image 2 has a
    # distractor. Nothing found: AP 0, top-k 0, one occurrence.
    res = run([(2, BIG, 0.9, 0.5)], [(0, BIG, 7), (1, BIG, 7)], 4)
    assert res.ap[0] == 0.0 and not res.cmc[0].any()
    assert res.num_occurrences[0] == 1
    # and a gallery with no detection anywhere
    res = run([], [(0, BIG, 7), (1, BIG, 7)], 2)
    assert res.ap[0] == 0.0 and res.num_occurrences[0] == 1


def test_tied_similarities():
    # TP (image 1) and a distractor (image 2) both at 0.5, another at 0.3.
    # scikit-learn groups ties: precision at 0.5 is 1/2, so AP = 1/2.
    # Top-k counts detections strictly more similar than the TP: 0 -> hit.
    res = run([(1, BIG, 0.9, 0.5), (2, BIG, 0.9, 0.5), (2, BIG, 0.9, 0.3)],
              [(0, BIG, 7), (1, BIG, 7)], 3)
    assert res.ap[0] == pytest.approx(0.5)
    assert res.cmc[0].all()
    assert average_precision([1, 0, 0], [0.5, 0.5, 0.3]) == pytest.approx(.5)


def test_all_negative_queries_count_as_zero():
    # query 0 finds its person at rank 1 (AP 1); query 1 (pid 9) has no
    # occurrence in the gallery: AP 0, top-k 0, still averaged.
    res = run([(1, BIG, 0.9, 0.9)], [(0, BIG, 7), (1, BIG, 7), (0, BIG, 9)],
              2,
              queries=((0, 7), (0, 9)))
    assert res.ap.tolist() == pytest.approx([1.0, 0.0])
    summary = res.summary()
    assert summary['mAP'] == pytest.approx(0.5)
    assert summary['top1'] == pytest.approx(0.5)
    assert summary['num_no_occurrence'] == 1


def test_gallery_list_and_cross_camera():
    # person in images 1 and 2. A gallery list [2, 3] misses image 1; the
    # detection in image 2 is found: AP 1 (recall 1/1).
    dets = [(1, BIG, 0.9, 0.9), (2, BIG, 0.9, 0.4), (3, BIG, 0.9, 0.6)]
    gts = [(0, BIG, 7), (1, BIG, 7), (2, BIG, 7)]
    res = run(dets, gts, 4, galleries=[np.array([2, 3])])
    # ranking 0.6 F, 0.4 T: AP 1/2
    assert res.ap[0] == pytest.approx(0.5)
    # cameras [0, 0, 1, 1]: cross-camera drops image 1 from "all others"
    res = run(dets, gts, 4, img_cams=np.array([0, 0, 1, 1]), cross_camera=True)
    assert res.ap[0] == pytest.approx(0.5)
    assert res.num_occurrences[0] == 1


@pytest.mark.parametrize('seed', range(3))
def test_vectorised_matches_loop(seed):
    rng = np.random.default_rng(seed)
    for _ in range(150):
        case, gallery = random_search_case(rng)
        cross = bool(rng.random() < 0.3)
        thresh = float(rng.choice([0.0, 0.5]))
        out = eval_search(
            **case,
            galleries={
                'list': gallery,
                'all': None
            },
            cross_camera=cross,
            score_thr=thresh,
            block_size=int(rng.integers(1, 4)))
        for name, gal in (('list', gallery), ('all', None)):
            ap, cmc = loop_search(
                **case, gallery=gal, cross_camera=cross, score_thr=thresh)
            np.testing.assert_allclose(out[name].ap, ap, atol=1e-6)
            np.testing.assert_array_equal(out[name].cmc, cmc)


@pytest.mark.parametrize('kwargs, message', [
    (dict(cross_camera=True), 'cross_camera=True needs img_cams'),
    (dict(cbgm_context=[np.zeros(
        (0, 2))], cbgm_k1=0), 'cbgm_k1 must be at least 1, got 0'),
    (dict(galleries={'g': []}), '0 gallery lists for 1 queries'),
])
def test_bad_arguments(kwargs, message):
    args = dict(
        query_feats=np.array([[1., 0.]]),
        query_imgs=[0],
        query_pids=[7],
        det_boxes=np.array([BIG]),
        det_scores=np.array([0.9]),
        det_feats=np.array([[1., 0.]]),
        det_imgs=np.array([1]),
        gt_boxes=np.array([BIG, BIG]),
        gt_imgs=np.array([0, 1]),
        gt_pids=np.array([7, 7]),
        num_images=2,
        galleries={'full': None})
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        eval_search(**args)
