"""Tests of GalleryIndex: construction checks and the .npz round trip."""
import numpy as np
import pytest

from mmps.apis import GalleryIndex, ModelFingerprint


def make_index(dim: int = 8) -> GalleryIndex:
    rng = np.random.default_rng(0)
    counts = [3, 0, 2]  # an image without detections
    return GalleryIndex(
        names=['g/a.png', 'g/b.jpg', 'g/ü c.png'],
        bboxes=[rng.uniform(0, 50, (n, 4)) for n in counts],
        scores=[rng.uniform(0, 1, n) for n in counts],
        embeddings=[rng.standard_normal((n, dim)) for n in counts])


def test_save_load_round_trip(tmp_path):
    index = make_index()
    path = str(tmp_path / 'gallery.index')  # written under exactly this name
    index.save(path)
    loaded = GalleryIndex.load(path)
    assert len(loaded) == 3 and loaded.names == index.names
    assert loaded.embed_dim == index.embed_dim == 8
    for key in ('bboxes', 'scores', 'embeddings'):
        for ours, theirs in zip(getattr(index, key), getattr(loaded, key)):
            assert ours.dtype == theirs.dtype == np.float32
            np.testing.assert_array_equal(ours, theirs)
    assert loaded.embeddings[1].shape == (0, 8)


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.npz'):
        GalleryIndex.load(str(tmp_path / 'missing.npz'))


def test_load_other_file_is_no_index(tmp_path):
    path = tmp_path / 'other.npz'
    np.savez(path, x=np.zeros(3))
    with pytest.raises(ValueError, match='no gallery index'):
        GalleryIndex.load(str(path))
    (tmp_path / 'text.npz').write_text('hello')
    with pytest.raises(ValueError, match='no gallery index'):
        GalleryIndex.load(str(tmp_path / 'text.npz'))


def test_inconsistent_lists_are_refused():
    with pytest.raises(ValueError, match='one per image'):
        GalleryIndex(['a'], [np.zeros((0, 4))] * 2, [np.zeros(0)], [np.zeros((0, 4))])
    with pytest.raises(ValueError, match='at least one image'):
        GalleryIndex([], [], [], [])
    with pytest.raises(ValueError, match='2 boxes, 2 scores and 1 embeddings'):
        GalleryIndex(['a'], [np.zeros((2, 4))], [np.zeros(2)], [np.zeros((1, 4))])
    with pytest.raises(ValueError, match='one D'):
        GalleryIndex(['a', 'b'], [np.zeros((1, 4))] * 2, [np.zeros(1)] * 2,
                     [np.zeros((1, 4)), np.zeros((1, 5))])


@pytest.mark.parametrize('change, message', [
    (dict(counts=np.asarray([3, 0, 1])), 'counts sum to 4 detections but '
     'the file holds 5 bboxes, 5 scores, 5 embeddings'),
    (dict(scores=np.zeros(4, np.float32)), 'counts sum to 5 detections but '
     'the file holds 5 bboxes, 4 scores, 5 embeddings'),
    (dict(counts=np.asarray([3, 2])), 'one non-negative integer per image'),
    (dict(counts=np.asarray([4, -1, 2])), 'one non-negative integer'),
])
def test_load_inconsistent_file(tmp_path, change, message):
    path = str(tmp_path / 'gallery.npz')
    make_index().save(path)
    with np.load(path) as archive:
        arrays = dict(archive)
    arrays.update(change)
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match='inconsistent') as err:
        GalleryIndex.load(path)
    assert message in str(err.value)


def test_the_model_fingerprint_round_trips(tmp_path):
    index = make_index()
    index.model_fingerprint = ModelFingerprint(weights='a' * 64, config='b' * 64)
    path = str(tmp_path / 'gallery.npz')
    index.save(path)
    assert GalleryIndex.load(path).model_fingerprint == index.model_fingerprint
    # an index that records no model (built by hand, or saved by an older
    # mmps) loads with None
    make_index().save(path)
    assert GalleryIndex.load(path).model_fingerprint is None


def test_load_half_a_fingerprint(tmp_path):
    path = str(tmp_path / 'gallery.npz')
    make_index().save(path)
    with np.load(path) as archive:
        arrays = dict(archive)
    np.savez(path, model_weights_sha256=np.asarray('a' * 64), **arrays)
    with pytest.raises(
            ValueError,
            match='inconsistent: its model fingerprint needs '
            'both model_weights_sha256 and model_config_sha256'):
        GalleryIndex.load(path)
