"""evaluate_results on per-image records: numbers, settings, bad input."""
import copy
import pickle
import re

import numpy as np
import pytest

from mmps.evaluation.functional import (eval_search, evaluate_results, format_table,
                                        load_protocol, load_results, summarize)
from mmps.structures import paired_iou
from mmps.testing import loop_search, make_search_split


@pytest.fixture(scope='module')
def split():
    ann, records = make_search_split()
    return load_protocol(ann), records


def test_report_matches_core_and_keys(split):
    protocol, records = split
    report = evaluate_results(records, protocol, labeled=True)
    assert report['main'] == 'full'
    flat = summarize(report, protocol)
    for key in ('mAP', 'top1', 'top5', 'top10', 'mAP_3', 'top1_6', 'mAP_full',
                'occlusion_mAP', 'labeled_mAP', 'det_recall', 'det_ap',
                'det_recall_labeled', 'det_ap_labeled', 'num_no_occurrence',
                'search_score_thr', 'det_score_thr'):
        assert key in flat, key
    # the same numbers straight from the core
    q_feats = np.zeros((protocol.num_queries, 8))
    for r in records:
        for row in np.flatnonzero(r['query_indices'] >= 0):
            q_feats[r['query_indices'][row]] = r['query_embeddings'][row]
    core = eval_search(q_feats, protocol.query_imgs, protocol.query_pids,
                       np.concatenate([r['bboxes'] for r in records]),
                       np.concatenate([r['scores'] for r in records]),
                       np.concatenate([r['embeddings'] for r in records]),
                       np.repeat(np.arange(10), 4), protocol.gt_boxes, protocol.gt_imgs,
                       protocol.gt_pids, 10, {'full': None})['full']
    assert flat['mAP'] == pytest.approx(core.ap.mean())
    assert flat['occlusion_mAP'] == pytest.approx(core.ap[:2].mean())
    # every box is detected (shift <= 3 px on 60 x 150), one FP per image
    assert flat['det_recall'] == pytest.approx(1.0)
    assert 0.5 < flat['mAP'] <= 1.0
    assert 'labeled' in format_table(report, protocol)


def test_score_thresholds_drop_everything(split):
    protocol, records = split
    flat = summarize(
        evaluate_results(records, protocol, search_score_thr=1.01, det_score_thr=1.01),
        protocol)
    assert flat['mAP'] == 0.0 and flat['det_recall'] == 0.0
    assert flat['search_score_thr'] == 1.01 == flat['det_score_thr']
    # each threshold acts on its own protocol only
    flat = summarize(
        evaluate_results(records, protocol, search_score_thr=1.01), protocol)
    assert flat['mAP'] == 0.0 and flat['det_recall'] == pytest.approx(1.0)
    flat = summarize(evaluate_results(records, protocol, det_score_thr=1.01), protocol)
    assert flat['mAP'] > 0.5 and flat['det_recall'] == 0.0


def test_table_notes_thresholds_no_detection_reaches(split):
    """All-zero rows come with their reason, under the table."""
    protocol, records = split
    top = max(float(r['scores'].max()) for r in records)
    assert 'note:' not in format_table(evaluate_results(records, protocol), protocol)
    lines = format_table(
        evaluate_results(records, protocol, search_score_thr=1.01, det_score_thr=1.01),
        protocol).splitlines()
    assert lines[-2:] == [
        f'note: no gallery detection scores >= {key} 1.01 (highest {top:.4g} of '
        f'40 detections): the {rows} are 0 because nothing passes the threshold; '
        'lower it or check the detector'
        for key, rows in (('search_score_thr', 'search rows'), ('det_score_thr',
                                                                'detection figures'))
    ]
    empty = copy.deepcopy(records)
    for r in empty:
        r['bboxes'], r['scores'] = np.zeros((0, 4)), np.zeros(0)
        r['embeddings'] = np.zeros((0, 8))
    table = format_table(evaluate_results(empty, protocol), protocol)
    assert table.splitlines()[-1].startswith(
        'note: the results hold no gallery detection: ')


def test_low_scoring_detections_count_for_detection_not_search(split):
    # the person at row 0 of every image is detected again, shifted by
    # 3 px, at score 0.3 (between the detection threshold 0.01 and the
    # search threshold 0.5), while its own detection drops to score 0: the
    # persons are then all found by detection (recall 1), and the searched
    # detections are those of the records without row 0 (same mAP)
    protocol, records = split
    lowered, removed = copy.deepcopy(records), copy.deepcopy(records)
    for low, rem in zip(lowered, removed):
        low['scores'][0] = 0.0
        extra = low['bboxes'][:1] + [3, 0, 3, 0]
        low['bboxes'] = np.r_[low['bboxes'], extra]
        low['scores'] = np.r_[low['scores'], 0.3]
        low['embeddings'] = np.r_[low['embeddings'], low['embeddings'][:1]]
        for key in ('bboxes', 'scores', 'embeddings'):
            rem[key] = rem[key][1:]
    with_low = summarize(evaluate_results(lowered, protocol), protocol)
    without = summarize(evaluate_results(removed, protocol), protocol)
    assert with_low['det_recall'] == pytest.approx(1.0)
    assert without['det_recall'] == pytest.approx(2 / 3)
    for key in without:
        if key.startswith(('mAP', 'top', 'occlusion')):
            assert with_low[key] == without[key], key
    # at detection threshold 0.5 the low detections are ignored too
    strict = summarize(evaluate_results(lowered, protocol, det_score_thr=0.5), protocol)
    assert strict['det_recall'] == without['det_recall']
    assert strict['det_ap'] == without['det_ap']


def test_labeled_mode_uses_ground_truth_boxes(split):
    protocol, records = split
    records = copy.deepcopy(records)
    for r in records:  # no detections at all: labeled mode is unaffected
        r['bboxes'], r['scores'] = np.zeros((0, 4)), np.zeros(0)
        r['embeddings'] = np.zeros((0, 8))
    flat = summarize(evaluate_results(records, protocol, labeled=True), protocol)
    assert flat['mAP'] == 0.0
    assert flat['labeled_mAP'] > 0.5


def _broken(records, img, **changes):
    records = copy.deepcopy(records)
    records[img].update(changes)
    return records


@pytest.mark.parametrize('changes, message', [
    (dict(embeddings=np.zeros((3, 8))), 'image 102: 4 bboxes but embeddings'),
    (dict(scores=np.zeros(2)), 'image 102: 4 bboxes but 2 scores'),
    (dict(scores=np.array([np.nan, 1, 1, 1])), 'image 102: scores contain'),
    (dict(query_embeddings=np.full((3, 8), np.inf)),
     'image 102: query_embeddings contain NaN'),
    (dict(img_id=999), 'image id 999 in the results is not an image'),
])
def test_bad_input_names_the_image(split, changes, message):
    protocol, records = split
    with pytest.raises(ValueError, match=message):
        evaluate_results(_broken(records, 2, **changes), protocol)


@pytest.mark.parametrize('content, message', [
    (b'', r': not a results pickle \(0 bytes read; EOFError'),
    (pickle.dumps(dict(img_id=1)), ': holds a dict, expected a list'),
    (pickle.dumps([dict(pred_instances=dict())]), ': item 0: a dict without img_id'),
    (pickle.dumps([dict(img_id=3)]), ': item 0: image 3: the sample has no '
     'pred_instances'),
])
def test_unreadable_results_file_is_named(tmp_path, content, message):
    path = tmp_path / 'results.pkl'
    path.write_bytes(content)
    with pytest.raises(ValueError, match='^' + re.escape(str(path)) + message):
        load_results(str(path))


def test_missing_query_image(split):
    protocol, records = split
    q_img = int(protocol.img_ids[protocol.query_imgs[0]])
    records = [r for r in records if r['img_id'] != q_img]
    with pytest.raises(ValueError, match=f'image id {q_img}.*missing'):
        evaluate_results(records, protocol)


def test_query_box_from_another_annotation_file(split):
    protocol, records = split
    q_img = int(protocol.img_ids[protocol.query_imgs[0]])
    records = copy.deepcopy(records)
    rec = next(r for r in records if r['img_id'] == q_img)
    rec['query_bboxes'][rec['query_indices'] == 0] += 20
    with pytest.raises(ValueError, match=f'image {q_img}: query 0 has box'):
        evaluate_results(records, protocol)


def test_missing_query_embedding(split):
    protocol, records = split
    q_img = int(protocol.img_ids[protocol.query_imgs[0]])
    records = copy.deepcopy(records)
    rec = next(r for r in records if r['img_id'] == q_img)
    rec['query_indices'][:] = -1
    with pytest.raises(ValueError, match=f'image {q_img}: no query-mode'):
        evaluate_results(records, protocol)


def test_unnormalised_embeddings_warn_or_normalise(split):
    protocol, records = split
    scaled = _broken(records, 4, embeddings=records[4]['embeddings'] * 3)
    with pytest.warns(UserWarning, match='image 104.*not L2-normalised'):
        raw = summarize(evaluate_results(scaled, protocol), protocol)
    fixed = summarize(evaluate_results(scaled, protocol, normalize=True), protocol)
    ref = summarize(evaluate_results(records, protocol), protocol)
    assert fixed['mAP'] == pytest.approx(ref['mAP'], abs=1e-6)
    assert set(raw) == set(ref)


def test_gallery_sizes_and_cross_camera(split):
    protocol, records = split
    report = evaluate_results(records, protocol, gallery_sizes=[3], cross_camera=True)
    assert list(report['search']) == ['3'] and report['main'] == '3'
    with pytest.raises(ValueError, match='gallery size 50 is not'):
        evaluate_results(records, protocol, gallery_sizes=[50])


def test_cbgm_is_labelled_in_results(split):
    protocol, records = split
    report = evaluate_results(records, protocol, cbgm=True, labeled=True)
    flat = summarize(report, protocol)
    assert flat['cbgm'] == 1.0 and 0.0 <= flat['mAP'] <= 1.0
    assert (flat['cbgm_k1'], flat['cbgm_k2']) == (10, 3)
    assert 'CBGM re-ranking (k1=10, k2=3)' in format_table(report, protocol)
    assert 'cbgm' not in summarize(evaluate_results(records, protocol), protocol)


@pytest.mark.parametrize('dataset, k1, k2', [('cuhk_sysu', 10, 3), ('prw', 30, 4),
                                             ('synthetic', 10, 3)])
def test_cbgm_defaults_are_seqnets_per_dataset(split, dataset, k1, k2):
    protocol, records = split
    protocol = copy.copy(protocol)
    protocol.dataset = dataset
    report = evaluate_results(records, protocol, cbgm=True)
    assert (report['settings']['cbgm_k1'], report['settings']['cbgm_k2']) == (k1, k2)
    report = evaluate_results(records, protocol, cbgm=True, cbgm_k1=5, cbgm_k2=2)
    assert 'CBGM re-ranking (k1=5, k2=2)' in format_table(report, protocol)


@pytest.mark.parametrize('k1, k2', [(0, 3), (10, 0)])
def test_cbgm_bad_k_is_an_error(split, k1, k2):
    protocol, records = split
    with pytest.raises(
            ValueError,
            match='CBGM needs cbgm_k1 >= 1 and '
            f'cbgm_k2 >= 1.*got cbgm_k1={k1}, cbgm_k2={k2}'):
        evaluate_results(records, protocol, cbgm=True, cbgm_k1=k1, cbgm_k2=k2)


def slow_context(protocol, records, q, k2, score_thr):
    """The context of query q written from docs/evaluation.md: the query
    image's detections scoring >= score_thr that overlap the query box by
    IoU < 0.5, the k2 - 1 most confident."""
    record = next(r for r in records
                  if r['img_id'] == protocol.img_ids[protocol.query_imgs[q]])
    rows = [
        j for j in range(len(record['scores'])) if record['scores'][j] >= score_thr and
        paired_iou(record['bboxes'][j:j + 1], protocol.query_boxes[q:q + 1])[0] < 0.5
    ]
    rows.sort(key=lambda j: -record['scores'][j])
    return np.asarray(record['embeddings'], float)[rows[:k2 - 1]]


@pytest.mark.parametrize('k2', [1, 2, 3])
def test_cbgm_context_from_the_query_image(split, k2):
    protocol, records = split
    report = evaluate_results(
        records, protocol, gallery_sizes=['full'], cbgm=True, cbgm_k1=4, cbgm_k2=k2)
    query_feats = np.zeros((protocol.num_queries, 8))
    for r in records:
        for row in np.flatnonzero(r['query_indices'] >= 0):
            query_feats[r['query_indices'][row]] = r['query_embeddings'][row]
    context = [
        slow_context(protocol, records, q, k2, 0.5) for q in range(protocol.num_queries)
    ]
    ap, cmc = loop_search(
        query_feats,
        protocol.query_imgs,
        protocol.query_pids,
        np.concatenate([r['bboxes'] for r in records]).astype(float),
        np.concatenate([r['scores'] for r in records]).astype(float),
        np.concatenate([r['embeddings'] for r in records]).astype(float),
        np.repeat(np.arange(10), 4),
        protocol.gt_boxes,
        protocol.gt_imgs,
        protocol.gt_pids,
        10,
        cbgm_context=context,
        cbgm_k1=4)
    np.testing.assert_allclose(report['search']['full'].ap, ap, atol=1e-9)
    np.testing.assert_array_equal(report['search']['full'].cmc, cmc)


def _det_split():
    """Three images: 100 holds person 0 (A) and an unlabelled person (U1),
    101 only an unlabelled person (U2), 102 person 0 again (B). Every
    person is detected exactly; 102 also has a false detection X."""
    boxes = {
        'A': [0, 0, 50, 100],
        'U1': [200, 0, 50, 100],
        'U2': [0, 0, 50, 100],
        'B': [100, 0, 50, 100]
    }
    persons = {100: [('A', 0), ('U1', -1)], 101: [('U2', -1)], 102: [('B', 0)]}
    scores = {'A': 0.9, 'U1': 0.95, 'U2': 0.99, 'B': 0.6}
    images, anns, records = [], [], []
    for img_id, people in persons.items():
        images.append(dict(id=img_id, file_name=f'{img_id}.jpg', width=400, height=300))
        gt = np.array([boxes[name] for name, _ in people], float)
        gt[:, 2:] += gt[:, :2]
        for name, pid in people:
            anns.append(
                dict(
                    id=len(anns),
                    image_id=img_id,
                    category_id=1,
                    bbox=boxes[name],
                    area=5000.0,
                    iscrowd=0,
                    person_id=pid))
        det = gt
        det_scores = [scores[name] for name, _ in people]
        if img_id == 102:
            det = np.r_[gt, [[300., 100., 350., 200.]]]
            det_scores.append(0.7)
        records.append(
            dict(
                img_id=img_id,
                bboxes=det,
                scores=np.array(det_scores),
                embeddings=np.tile([1., 0.], (len(det), 1)),
                query_bboxes=gt,
                query_embeddings=np.tile([1., 0.], (len(gt), 1)),
                query_indices=np.array(
                    [0 if img_id == 100 and k == 0 else -1 for k in range(len(gt))])))
    ann = dict(
        info=dict(dataset='det'),
        images=images,
        annotations=anns,
        protocol=dict(queries=[dict(image_id=100, bbox=boxes['A'], person_id=0)]))
    return load_protocol(ann), records


def test_detection_labelled_only_skips_unlabelled_images():
    # labelled boxes only (SeqNet labeled_only=True): image 101 (no
    # labelled person) is skipped with its detection U2 (0.99). Ranking
    # U1 0.95 F, A 0.9 T, X 0.7 F, B 0.6 T; recall 2/2.
    # AP = 1/2 * 1/2 + 1/2 * 2/4 = 1/2 (U2 kept as a false positive would
    # give 1/2 * 1/3 + 1/2 * 2/5).
    # All boxes: U2 .99 T, U1 .95 T, A .9 T, X .7 F, B .6 T; recall 4/4.
    # AP = 3/4 * 1 + 1/4 * 4/5 = 0.95.
    protocol, records = _det_split()
    flat = summarize(evaluate_results(records, protocol), protocol)
    assert flat['det_recall_labeled'] == pytest.approx(1.0)
    assert flat['det_ap_labeled'] == pytest.approx(0.5)
    assert flat['det_recall'] == pytest.approx(1.0)
    assert flat['det_ap'] == pytest.approx(0.95)
