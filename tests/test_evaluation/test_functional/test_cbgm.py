"""CBGM re-ranking (SeqNet's rule): hand-worked cases, the rule that tells
it from a total-weight rule, and random cases against the slow brute-force
reference of :mod:`mmps.testing.search_loop_reference`."""
import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from mmps.evaluation.functional import cbgm_match, eval_search, search_eval
from mmps.testing import loop_search, random_search_case

BIG = [0., 0., 100., 200.]  # 100 x 200 person: IoU threshold 0.5
OTHER = [200., 0., 300., 200.]  # a second person of the same image


def test_matched_query_takes_the_largest_matched_weight():
    # the minimal case: q.d1 = 0.9, q.d2 = 0.8, c.d1 = 0.95,
    # c.d2 = 0.1. Matchings: q-d1 + c-d2 = 1.0, q-d2 + c-d1 = 1.75; the
    # second wins, so d2 (column 1) is the query's, and it gets the largest
    # single weight of that matching, max(0.8, 0.95) = 0.95 (a total-weight
    # rule would give 1.75)
    assert cbgm_match(np.array([[0.9, 0.8], [0.95, 0.1]])) == (1, 0.95)
    # the query's own weight may be the largest: q-d2 0.9, c-d1 0.3
    assert cbgm_match(np.array([[0.2, 0.9], [0.3, 0.1]])) == (1, 0.9)


def test_without_context_the_query_keeps_its_best_detection():
    # one row: the query takes its most similar detection, unchanged
    assert cbgm_match(np.array([[0.2, 0.7, 0.4]])) == (1, 0.7)


def test_unmatched_query_leaves_the_image_alone():
    # three persons, one detection: the matching keeps the heaviest pair,
    # context person 1 (0.9); the query row is unmatched
    assert cbgm_match(np.array([[0.5], [0.9], [0.1]])) is None
    # an image without detections
    assert cbgm_match(np.zeros((2, 0))) is None


@pytest.mark.parametrize('weights', [np.zeros(3), np.zeros((0, 2))])
def test_bad_weights_are_an_error(weights):
    with pytest.raises(
            ValueError,
            match='cbgm_match needs a \\(P, N\\) '
            'weight matrix with the query as row 0'):
        cbgm_match(weights)


def rules_case(**kwargs):
    """Query person 7 (image 0, embedding e0) with a companion c = e1 in
    its image. Image 1: the person, detected as d2 (q.d2 = 0.8,
    c.d2 = 0.1), beside a look-alike d1 (q.d1 = 0.9, c.d1 = 0.95) that is
    really the companion. Image 2: a stranger x (q.x = 0.97, c.x = 0)."""
    det_feats = np.array([[0.9, 0.95], [0.8, 0.1], [0.97, 0.0]])
    return eval_search(
        query_feats=np.array([[1., 0.]]),
        query_imgs=[0],
        query_pids=[7],
        det_boxes=np.array([OTHER, BIG, BIG]),
        det_scores=np.ones(3),
        det_feats=det_feats,
        det_imgs=np.array([1, 1, 2]),
        gt_boxes=np.array([BIG, BIG, OTHER]),
        gt_imgs=np.array([0, 1, 1]),
        gt_pids=np.array([7, 7, 3]),
        num_images=3,
        galleries={'full': None},
        **kwargs)['full']


def test_cbgm_rule_on_a_gallery():
    # plain: x 0.97 F, d1 0.9 F, d2 0.8 T: AP 1/3, top-1 miss
    plain = rules_case()
    assert plain.ap[0] == pytest.approx(1 / 3)
    # CBGM: image 1 matches q-d2, c-d1 and d2 becomes max(0.8, 0.95) =
    # 0.95; image 2 has one detection, matched to q (0.97 > 0): x stays
    # 0.97. Ranking x 0.97 F, d2 0.95 T, d1 0.9 F: AP 1/2, top-1 miss.
    # The total-weight rule would rank d2 first (1.75): AP 1, top-1 hit.
    cbgm = rules_case(cbgm_context=[np.array([[0., 1.]])])
    assert cbgm.ap[0] == pytest.approx(0.5)
    assert cbgm.cmc[0].tolist() == [False, True, True]
    # k1 = 1: only the image of the top detection (x, image 2) is
    # re-ranked, image 1 keeps its plain similarities: AP 1/3 again
    top1 = rules_case(cbgm_context=[np.array([[0., 1.]])], cbgm_k1=1)
    assert top1.ap[0] == pytest.approx(1 / 3)


def test_cbgm_reranking_uses_query_context():
    # query [1, 0, 0] with a companion [0, 1, 0] in its image. Image 1:
    # the person (sim 0.5) next to the companion; image 2: a distractor at
    # 0.6 and a stranger [0, 0, 1]. Plain ranking 0.6 F, 0.5 T: AP 1/2.
    # CBGM: image 1 matches q->person, companion->companion, so the
    # person's similarity becomes max(0.5, 1) = 1; image 2 matches
    # q->distractor (0.6), companion->stranger (0): the distractor keeps
    # 0.6. AP 1.
    dets = np.array([BIG, OTHER, BIG, OTHER], float)
    feats = np.array([[0.5, 0, 0.75**0.5], [0, 1, 0], [0.6, 0, 0.8], [0, 0, 1]])
    kwargs = dict(
        query_feats=np.array([[1., 0, 0]]),
        query_imgs=[0],
        query_pids=[7],
        det_boxes=dets,
        det_scores=np.ones(4),
        det_feats=feats,
        det_imgs=np.array([1, 1, 2, 2]),
        gt_boxes=np.array([BIG, BIG]),
        gt_imgs=np.array([0, 1]),
        gt_pids=np.array([7, 7]),
        num_images=3,
        galleries={'full': None})
    assert eval_search(**kwargs)['full'].ap[0] == pytest.approx(0.5)
    res = eval_search(**kwargs, cbgm_context=[np.array([[0., 1, 0]])])
    assert res['full'].ap[0] == pytest.approx(1.0)
    # without context the matching only keeps the query's own best match
    res = eval_search(**kwargs, cbgm_context=[np.zeros((0, 3))])
    assert res['full'].ap[0] == pytest.approx(0.5)


def random_cbgm_cases(seed, count=150):
    """Random cases with unit Gaussian embeddings (no tied similarity, so
    the optimal matchings are unique) and random context persons."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        case, gallery = random_search_case(rng, dyadic=False)
        context = []
        for _ in case['query_imgs']:
            feats = rng.normal(size=(int(rng.integers(0, 4)), 3))
            context.append(feats / np.linalg.norm(feats, axis=1, keepdims=True))
        yield case, gallery, context, dict(
            cbgm_k1=int(rng.integers(1, 6)), score_thr=float(rng.choice([0.0, 0.5])))


def disagreements(seed):
    """(cases where CBGM changed an AP, cases where eval_search and the
    slow reference differ) over one seed's random cases."""
    changed = differ = 0
    for case, gallery, context, kwargs in random_cbgm_cases(seed):
        galleries = {'list': gallery, 'all': None}
        out = eval_search(**case, galleries=galleries, cbgm_context=context, **kwargs)
        plain = eval_search(**case, galleries=galleries, score_thr=kwargs['score_thr'])
        for name, gal in galleries.items():
            ap, cmc = loop_search(**case, gallery=gal, cbgm_context=context, **kwargs)
            changed += not np.allclose(out[name].ap, plain[name].ap)
            differ += not (np.allclose(out[name].ap, ap, atol=1e-9)
                           and np.array_equal(out[name].cmc, cmc))
    return changed, differ


@pytest.mark.parametrize('seed', range(3))
def test_cbgm_matches_slow_reference(seed):
    changed, differ = disagreements(100 + seed)
    assert differ == 0
    assert changed >= 5  # CBGM re-ranks for real in these cases


def test_slow_reference_tells_the_rules_apart(monkeypatch):
    # the same comparison fails when the matched detection gets the total
    # weight of the matching instead of the largest single weight

    def total_weight(weights):
        match = cbgm_match(weights)
        if match is None:
            return None
        rows, cols = linear_sum_assignment(weights, maximize=True)
        return match[0], float(weights[rows, cols].sum())

    monkeypatch.setattr(search_eval, 'cbgm_match', total_weight)
    assert disagreements(100)[1] > 0


def test_cbgm_without_context_changes_nothing():
    # with no context person, the matching pairs the query with its most
    # similar detection and keeps that similarity: the ranking is unchanged
    rng = np.random.default_rng(7)
    for _ in range(100):
        case, gallery = random_search_case(rng)
        plain = eval_search(**case, galleries={'list': gallery, 'all': None})
        empty = [np.zeros((0, 3))] * len(case['query_imgs'])
        cbgm = eval_search(
            **case,
            galleries={
                'list': gallery,
                'all': None
            },
            cbgm_context=empty,
            cbgm_k1=3)
        for name in plain:
            np.testing.assert_allclose(cbgm[name].ap, plain[name].ap)
            np.testing.assert_array_equal(cbgm[name].cmc, plain[name].cmc)
