"""eval_detection: mutual-best matching and the score threshold."""
import numpy as np
import pytest

from mmps.evaluation.functional import eval_detection


def test_detection_mutual_best_matching():
    # one image, two persons; detection A fits person 0 exactly (score 0.9),
    # detection B is a shifted duplicate of person 0 (IoU 0.8, score 0.95),
    # person 1 is missed. A matches; B is not the best of person 0: false.
    # recall 1/2; ranking B(F) A(T): AP = 1/2 * recall = 1/4.
    gt = np.array([[0, 0, 100, 100], [300, 0, 400, 100]], float)
    dets = np.array([[0, 0, 100, 100], [0, 0, 100, 80], [0, 0, 10, 10]], float)
    recall, ap = eval_detection(
        gt,
        np.array([0, 0]),
        dets,
        np.array([0.9, 0.95, 0.3]),
        np.array([0, 0, 0]),
        1,
        score_thr=0.5)
    assert recall == pytest.approx(0.5)
    assert ap == pytest.approx(0.25)
    # a detection of another image never matches
    recall, _ = eval_detection(gt[:1], np.array([0]), dets[:1], np.array([0.9]),
                               np.array([1]), 2)
    assert recall == 0.0


def test_score_threshold_defaults_to_seqnet_detection_threshold():
    # one person detected only at score 0.2: counted by the default
    # threshold 0.01 (SeqNet's detection figures), not at 0.5
    gt = np.array([[0, 0, 100, 100]], float)
    args = (gt, np.array([0]), gt, np.array([0.2]), np.array([0]), 1)
    assert eval_detection(*args) == (1.0, 1.0)
    assert eval_detection(*args, score_thr=0.5) == (0.0, 0.0)
    assert eval_detection(*args, score_thr=0.2) == (1.0, 1.0)
