"""Ranked hits of protocol queries and their picture from saved results."""
import json
import pickle

import numpy as np
import pytest

from mmps.evaluation.functional import check_record, load_protocol
from mmps.testing import make_search_split
from mmps.visualization import (PersonSearchVisualizer, check_hits_request,
                                draw_protocol_hits, load_image_or_canvas, rank_query)


@pytest.fixture(scope='module')
def split():
    ann, records = make_search_split()
    return ann, load_protocol(ann), records


@pytest.fixture(scope='module')
def files(tmp_path_factory, split):
    ann, _, records = split
    root = tmp_path_factory.mktemp('hits')
    (root / 'test.json').write_text(json.dumps(ann))
    with open(root / 'res.pkl', 'wb') as f:
        pickle.dump(records, f)
    return root


def test_check_hits_request(split):
    _, protocol, _ = split
    assert check_hits_request(protocol, [0, 5]) == 'full'
    assert check_hits_request(protocol, [1], 3, topk=2) == '3'


@pytest.mark.parametrize('queries, gallery_size, topk, message', [
    ([0], 100, 5, "gallery size 100 is not in the 'synthetic' protocol "
     r'\(available: 3, 6, full\)'),
    ([0, 6], 'full', 5, "query index 6 out of range: the 'synthetic' "
     r'protocol has 6 queries \(valid indices: 0 to 5\)'),
    ([-1, 9], 'full', 5, 'query indices -1, 9 out of range'),
    ([0], 'full', 0, 'topk must be at least 1, got 0'),
])
def test_bad_requests_are_one_line_errors(split, queries, gallery_size, topk, message):
    _, protocol, _ = split
    with pytest.raises(ValueError, match=message) as error:
        check_hits_request(protocol, queries, gallery_size, topk)
    assert '\n' not in str(error.value)


def test_rank_query_labels_follow_the_protocol(split):
    _, protocol, records = split
    by_index = {i: check_record(r) for i, r in enumerate(records)}
    hits = rank_query(protocol, by_index, 0, None, 0.5, 10)
    sims = [hit.similarity for hit in hits]
    assert sims == sorted(sims, reverse=True) and len(hits) == 10
    # at most one true hit per image, each in an image of the person
    true_imgs = [hit.img for hit in hits if hit.is_true]
    assert len(true_imgs) == len(set(true_imgs)) >= 1
    assert all(protocol.query_pids[0] in protocol.gt_pids[protocol.gt_imgs == i]
               for i in true_imgs)
    # the query's own image is never a hit; a gallery list restricts them
    assert protocol.query_imgs[0] not in [hit.img for hit in hits]
    gallery = protocol.galleries['3'][0]
    hits = rank_query(protocol, by_index, 0, gallery, 0.5, 10)
    assert {hit.img for hit in hits} <= set(gallery.tolist())
    # a score threshold above every detection leaves nothing
    assert rank_query(protocol, by_index, 0, None, 1.01, 10) == []


def test_missing_image_is_a_grey_canvas(tmp_path):
    with pytest.warns(UserWarning, match='drawing on a blank canvas'):
        canvas = load_image_or_canvas(str(tmp_path / 'absent.jpg'), 40, 30)
    assert canvas.shape == (30, 40, 3) and canvas.dtype == np.uint8


def test_draw_protocol_hits(files, tmp_path):
    out = tmp_path / 'hits.png'
    with pytest.warns(UserWarning, match='blank canvas'):
        picture = draw_protocol_hits(
            str(files / 'test.json'),
            str(files / 'res.pkl'), [0, 1, 2],
            gallery_size=6,
            topk=2,
            out_file=str(out),
            visualizer=PersonSearchVisualizer(panel_height=30))
    # three rows of a query and two hits; 400 x 300 images: 40 px wide
    assert picture.shape == (3 * 52 + 2 * 6, 3 * 40 + 2 * 6, 3)
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_draw_protocol_hits_checks_before_reading(files, tmp_path):
    # the results file is missing: the bad request is reported first
    with pytest.raises(ValueError, match='query index 7 out of range'):
        draw_protocol_hits(str(files / 'test.json'), str(tmp_path / 'missing.pkl'), [7])
    with pytest.raises(FileNotFoundError):
        draw_protocol_hits(str(files / 'test.json'), str(tmp_path / 'missing.pkl'), [0])
