"""Tests of index_gallery: one entry per image, shapes, input errors."""
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

from mmps.apis import index_gallery, model_fingerprint
from .conftest import EMBED_DIM, IMG_H, IMG_W, scene


def test_one_entry_per_image_with_contract_shapes(gallery_index, gallery_dir):
    assert gallery_index.names == [
        osp.join(gallery_dir, name) for name in ('a.png', 'b.jpg', 'c.png')
    ]
    assert gallery_index.embed_dim == EMBED_DIM
    for bboxes, scores, embeds in zip(gallery_index.bboxes, gallery_index.scores,
                                      gallery_index.embeddings):
        num = len(bboxes)
        assert num > 0  # rcnn.score_thr=0 keeps the proposals
        assert bboxes.shape == (num, 4) and scores.shape == (num, )
        assert embeds.shape == (num, EMBED_DIM)
        # boxes in the original (not the 2x resized) frame
        assert (bboxes[:, [0, 2]] <= IMG_W + 1e-3).all()
        assert (bboxes[:, [1, 3]] <= IMG_H + 1e-3).all()
        np.testing.assert_allclose(np.linalg.norm(embeds, axis=1), 1, atol=1e-5)


def test_arrays_and_batches_give_the_same_index(searcher, gallery_index, gallery_dir):
    images = [
        cv2.imread(osp.join(gallery_dir, 'a.png')),
        osp.join(gallery_dir, 'b.jpg')
    ]
    index = index_gallery(searcher, images, batch_size=2, progress=True)
    assert index.names == ['<array 0>', gallery_index.names[1]]
    for i in range(2):
        np.testing.assert_allclose(index.bboxes[i], gallery_index.bboxes[i], atol=1e-3)
        np.testing.assert_allclose(
            index.embeddings[i], gallery_index.embeddings[i], atol=1e-4)


def test_missing_folder(searcher, tmp_path):
    with pytest.raises(FileNotFoundError, match='does not exist'):
        index_gallery(searcher, str(tmp_path / 'absent'))


def test_folder_without_images(searcher, tmp_path):
    (tmp_path / 'readme.txt').write_text('no images here')
    with pytest.raises(FileNotFoundError, match='holds no image file'):
        index_gallery(searcher, str(tmp_path))


def test_corrupt_image_is_named(searcher, gallery_dir, tmp_path):
    folder = tmp_path / 'gallery'
    shutil.copytree(gallery_dir, folder)
    (folder / 'b.jpg').write_bytes(b'\xff\xd8 truncated jpeg')
    with pytest.raises(ValueError, match=r'cannot read image .*b\.jpg'):
        index_gallery(searcher, str(folder), progress=False)


def test_bad_array_and_batch_size(searcher):
    with pytest.raises(ValueError, match=r'\(H, W, 3\)'):
        index_gallery(searcher, [np.zeros((IMG_H, IMG_W), np.uint8)], progress=False)
    with pytest.raises(ValueError, match='batch_size'):
        index_gallery(searcher, [scene(0)], batch_size=0)
    with pytest.raises(ValueError, match='empty'):
        index_gallery(searcher, [])


def test_the_index_records_the_model(searcher, gallery_index):
    assert gallery_index.model_fingerprint == model_fingerprint(searcher)


def test_skip_unreadable_leaves_out_what_fails_to_decode(searcher, gallery_dir,
                                                         gallery_index, tmp_path):
    """A PNG cut after its header passes the check before the pass and fails
    when decoded; with skip_unreadable the other images are indexed."""
    folder = tmp_path / 'gallery'
    shutil.copytree(gallery_dir, folder)
    data = (folder / 'a.png').read_bytes()
    (folder / 'a.png').write_bytes(data[:64])
    with pytest.raises(
            ValueError, match=r'cannot read image .*a\.png.*skip_unreadable'):
        index_gallery(searcher, str(folder), progress=False)
    with pytest.warns(UserWarning) as records:
        index = index_gallery(
            searcher, str(folder), batch_size=2, progress=False, skip_unreadable=True)
    messages = [str(record.message) for record in records]
    assert any('skipping an unreadable gallery image: cannot read image' in m
               and m.endswith('a.png: corrupt or not an image file') for m in messages)
    assert 'skipped 1 of 3 gallery images (unreadable); the index holds the other 2' \
        in messages
    assert index.names == [str(folder / 'b.jpg'), str(folder / 'c.png')]
    np.testing.assert_allclose(
        index.embeddings[0], gallery_index.embeddings[1], atol=1e-4)


def test_skip_unreadable_with_no_readable_image(searcher, tmp_path):
    (tmp_path / 'a.png').write_bytes(b'')
    with pytest.warns(UserWarning, match='a.png'):
        with pytest.raises(
                ValueError, match='none of the 1 gallery images can be read'):
            index_gallery(searcher, str(tmp_path), progress=False, skip_unreadable=True)
