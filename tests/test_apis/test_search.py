"""Tests of search: ranking, the query's own embedding first, errors."""
import os.path as osp

import numpy as np
import pytest

from mmps.apis import GalleryIndex, embed_query, search
from .conftest import EMBED_DIM, IMG_H, IMG_W, scene

QUERY_BOX = [10., 8., 40., 72.]


def test_hits_are_sorted_and_at_most_topk(searcher, gallery_index, gallery_dir):
    query = osp.join(gallery_dir, 'a.png')
    hits = search(searcher, query, QUERY_BOX, gallery_index, topk=4, score_thr=0.0)
    assert len(hits) == 4
    sims = [hit.similarity for hit in hits]
    assert sims == sorted(sims, reverse=True)
    for hit in hits:
        assert hit.image == gallery_index.names[hit.image_index]
        assert -1 - 1e-5 <= hit.similarity <= 1 + 1e-5
        assert hit.box.shape == (4, )
        row = np.flatnonzero(
            (gallery_index.bboxes[hit.image_index] == hit.box).all(axis=1))
        assert gallery_index.scores[hit.image_index][row[0]] == hit.score
    # the threshold drops every detection scoring below it
    cut = float(np.median(np.concatenate(gallery_index.scores)))
    assert all(hit.score >= cut for hit in search(
        searcher, query, QUERY_BOX, gallery_index, topk=100, score_thr=cut))


def test_the_query_embedding_ranks_first(searcher):
    image = scene(7)
    query = embed_query(searcher, image, np.array([QUERY_BOX]))
    assert query.shape == (1, EMBED_DIM)
    rng = np.random.default_rng(0)
    others = rng.standard_normal((4, EMBED_DIM))
    others /= np.linalg.norm(others, axis=1, keepdims=True)
    index = GalleryIndex(
        names=['x.png', 'y.png'],
        bboxes=[
            np.tile([1., 2., 30., 60.], (2, 1)),
            np.array([[0., 0., 9., 9.], [5., 6., 50., 70.], [1., 1., 8., 8.]])
        ],
        scores=[np.full(2, 0.9), np.array([0.95, 0.9, 0.1])],
        embeddings=[others[:2],
                    np.concatenate([others[2:3], query, -query])])
    # built by hand: the index records no model
    hits = search(
        searcher,
        image,
        QUERY_BOX,
        index,
        topk=10,
        score_thr=0.5,
        allow_other_model=True)
    assert len(hits) == 4  # the 0.1-score detection is dropped
    assert hits[0].image == 'y.png' and hits[0].image_index == 1
    np.testing.assert_array_equal(hits[0].box, [5., 6., 50., 70.])
    assert hits[0].similarity == pytest.approx(1.0, abs=1e-5)
    assert hits[0].score == pytest.approx(0.9)
    assert len(
        search(searcher, image, QUERY_BOX, index, topk=2, allow_other_model=True)) == 2


def test_a_model_that_is_no_person_searcher_is_refused(searcher):
    """Only a :class:`BasePersonSearcher` honours the contract; any other
    model gets today's one-line error, whatever methods it has."""

    class PredictOnly:
        cfg = searcher.cfg
        test_step = searcher.test_step
        predict_query = searcher.predict_query

    with pytest.raises(ValueError) as error:
        embed_query(PredictOnly(), scene(3), np.array([QUERY_BOX]))
    assert str(error.value).startswith(
        'the PredictOnly model of this config gives no '
        'pred_instances.embeddings: it is not a person-search model')


@pytest.mark.parametrize(
    'box, match',
    [
        ([10., 8., 130., 72.], 'outside'),  # x2 > width
        ([-1., 8., 40., 72.], 'outside'),
        ([40., 8., 40., 72.], 'x2 > x1'),
        ([10., 72., 40., 8.], 'y2 > y1'),
        ([10., 8., 40.], '4 finite numbers'),
    ])
def test_bad_query_box(searcher, gallery_index, box, match):
    with pytest.raises(ValueError, match=match):
        search(searcher, scene(0), box, gallery_index)


def test_topk_below_one(searcher, gallery_index):
    with pytest.raises(ValueError, match='topk must be >= 1'):
        search(searcher, scene(0), QUERY_BOX, gallery_index, topk=0)


def test_index_of_another_embedding_dim(searcher):
    index = GalleryIndex(['z.png'], [np.zeros((1, 4))], [np.ones(1)],
                         [np.ones((1, EMBED_DIM * 2))])
    with pytest.raises(ValueError, match=f'{EMBED_DIM * 2}-d .* {EMBED_DIM}-d'):
        search(searcher, scene(0), QUERY_BOX, index, allow_other_model=True)


def test_unreadable_query_image(searcher, gallery_index, tmp_path):
    bad = tmp_path / 'query.png'
    bad.write_bytes(b'not a png')
    with pytest.raises(ValueError, match='query.png'):
        search(searcher, str(bad), QUERY_BOX, gallery_index)
    with pytest.raises(FileNotFoundError, match='absent.png'):
        search(searcher, str(tmp_path / 'absent.png'), QUERY_BOX, gallery_index)


def test_box_fits_exactly_the_image(searcher, gallery_index):
    hits = search(
        searcher, scene(0), [0, 0, IMG_W, IMG_H], gallery_index, topk=1, score_thr=0.0)
    assert len(hits) == 1
