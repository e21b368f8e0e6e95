"""Issue #18, section 5: a gallery index records the model that built it and
is refused by another one; ``--score-thr`` must lie in [0, 1]; an unreadable
gallery image is named, and with ``--skip-unreadable`` left out."""
import copy
import hashlib
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from mmps.apis import GalleryIndex, index_gallery, init_searcher, search
from mmps.testing import last_line, run_tool
from ..test_apis.conftest import (CONFIG, FAST_TEST_CFG, FIXED_IDS, save_checkpoint,
                                  scene)

QUERY_BOX = ['10', '8', '40', '72']
OVERRIDE = ('allow_other_model=True (search_demo.py: --allow-other-model) searches '
            'it anyway')


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_searcher(seed: int):
    """The tiny OIM with random weights drawn from ``seed``."""
    torch.manual_seed(seed)
    return init_searcher(CONFIG, cfg_options={**FIXED_IDS, **FAST_TEST_CFG})


@pytest.fixture(scope='module')
def gallery(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp('gallery')
    for i, name in enumerate(['a.png', 'b.png', 'c.png']):
        cv2.imwrite(str(folder / name), scene(i))
    return folder


@pytest.fixture(scope='module')
def searcher():
    return build_searcher(0)


@pytest.fixture(scope='module')
def checkpoint(searcher, tmp_path_factory) -> str:
    return save_checkpoint(searcher, tmp_path_factory.mktemp('ckpt') / 'oim.pth')


@pytest.fixture(scope='module')
def other_index(gallery) -> GalleryIndex:
    """The gallery indexed by a model of the same architecture and embedding
    width, other weights."""
    return index_gallery(build_searcher(1), str(gallery), progress=False)


def search_demo(checkpoint, out, *extra):
    """Run tools/search_demo.py: ``extra`` (the query image, then the gallery
    options), the tiny model from ``checkpoint``, the picture to ``out``."""
    return run_tool(
        'search_demo.py',
        *extra,
        '--box',
        *QUERY_BOX,
        '--config',
        CONFIG,
        '--checkpoint',
        checkpoint,
        '--out',
        str(out),
        '--score-thr',
        '0',
        '--cfg-options',
        *[f'{k}={v}' for k, v in FAST_TEST_CFG.items()],
        check=False,
        env=dict(CUDA_VISIBLE_DEVICES=''))


def assert_one_line(result, status: int, line: str) -> None:
    """Exit ``status`` and ``line``, the last line on stderr, the only one
    naming an error, no traceback."""
    assert result.returncode == status, result.stderr[-3000:]
    assert 'Traceback' not in result.stderr, result.stderr[-3000:]
    assert last_line(result) == line
    assert sum('error:' in text for text in result.stderr.splitlines()) == 1


def test_index_of_another_model_is_refused_unless_allowed(checkpoint, gallery,
                                                          other_index, tmp_path):
    index = tmp_path / 'other.npz'
    other_index.save(str(index))
    before = digest(index)
    out = tmp_path / 'result.png'
    result = search_demo(checkpoint, out, str(gallery / 'a.png'), '--index', str(index))
    assert_one_line(
        result, 1, f'search_demo: error: gallery index {index} was built by another '
        f'model (different weights): index the gallery with this model, or {OVERRIDE}')
    assert not out.exists() and digest(index) == before

    allowed = search_demo(checkpoint, out, str(gallery / 'a.png'), '--index',
                          str(index), '--allow-other-model')
    assert allowed.returncode == 0, allowed.stderr[-3000:]
    assert out.exists() and digest(index) == before


def test_library_checks_the_model_of_the_index(searcher, gallery, other_index):
    query = str(gallery / 'a.png')
    box = [float(v) for v in QUERY_BOX]
    own = index_gallery(searcher, str(gallery), progress=False)
    assert search(searcher, query, box, own, score_thr=0.0)
    with pytest.raises(ValueError, match=r'another model \(different weights\)'):
        search(searcher, query, box, other_index)
    assert search(
        searcher, query, box, other_index, score_thr=0.0, allow_other_model=True)
    reconfigured = copy.deepcopy(searcher)  # same weights, another model config
    reconfigured.cfg.model.data_preprocessor.mean = [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match=r'another model \(different config\)'):
        search(reconfigured, query, box, own)


def test_index_without_fingerprint_is_refused(checkpoint, gallery, searcher, tmp_path):
    """An index saved before indexes recorded their model."""
    index = tmp_path / 'old.npz'
    index_gallery(searcher, str(gallery), progress=False).save(str(index))
    with np.load(str(index)) as archive:
        arrays = {k: archive[k] for k in archive.files if not k.startswith('model_')}
    assert len(arrays) == 5  # names, counts, bboxes, scores, embeddings
    np.savez(index, **arrays)
    before = digest(index)
    out = tmp_path / 'result.png'
    result = search_demo(checkpoint, out, str(gallery / 'a.png'), '--index', str(index))
    assert_one_line(
        result, 1, f'search_demo: error: gallery index {index} records no model (it '
        'was saved by an older mmps or built by hand), so it cannot be checked '
        f'against this one: index the gallery again with this model, or {OVERRIDE}')
    assert not out.exists() and digest(index) == before


@pytest.mark.parametrize('value', ['nan', '1.5'])
def test_score_thr_outside_zero_one_is_refused(value, searcher, tmp_path):
    out = tmp_path / 'result.png'
    result = run_tool(
        'search_demo.py',
        'q.png',
        '--box',
        *QUERY_BOX,
        '--gallery',
        str(tmp_path),
        '--config',
        CONFIG,
        '--checkpoint',
        'c.pth',
        '--out',
        str(out),
        '--score-thr',
        value,
        check=False)
    assert_one_line(
        result, 2, 'search_demo.py: error: --score-thr must be a number in [0, 1], '
        f'got {float(value)}')
    assert not out.exists()
    # the library refuses them too, and infinities and booleans
    index = GalleryIndex(['x.png'], [np.zeros((1, 4))], [np.ones(1)],
                         [np.ones((1, 64))])
    for bad in (float(value), -0.1, math.inf, True):
        with pytest.raises(
                ValueError,
                match=f'score_thr must be a number in '
                rf'\[0, 1\], got {bad!r}'):
            search(searcher, scene(0), [10, 8, 40, 72], index, score_thr=bad)


def unreadable_gallery(gallery: Path, tmp_path: Path) -> Path:
    """A copy of the gallery whose ``b.png`` is an empty file."""
    folder = tmp_path / 'gallery'
    folder.mkdir()
    for name in ('a.png', 'c.png'):
        (folder / name).write_bytes((gallery / name).read_bytes())
    (folder / 'b.png').write_bytes(b'')
    return folder


def test_unreadable_gallery_image_is_named(checkpoint, gallery, tmp_path):
    folder = unreadable_gallery(gallery, tmp_path)
    out, index = tmp_path / 'result.png', tmp_path / 'index.npz'
    result = search_demo(checkpoint, out, str(folder / 'a.png'), '--gallery',
                         str(folder), '--save-index', str(index))
    assert_one_line(
        result, 1, f'search_demo: error: cannot read image {folder / "b.png"}: not an '
        'image file (0 bytes, no known image header); skip_unreadable=True '
        '(search_demo.py: --skip-unreadable) leaves it out')
    # found before the first forward pass: no progress bar was started
    assert '/3,' not in result.stdout
    assert not out.exists() and not index.exists()


def test_skip_unreadable_indexes_the_other_images(checkpoint, gallery, tmp_path):
    folder = unreadable_gallery(gallery, tmp_path)
    out, index = tmp_path / 'result.png', tmp_path / 'index.npz'
    result = search_demo(checkpoint, out, str(folder / 'a.png'), '--gallery',
                         str(folder), '--save-index', str(index), '--skip-unreadable')
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'indexed 2 of 3 gallery images (1 unreadable, skipped)' in result.stdout
    warnings = [line for line in result.stderr.splitlines() if 'UserWarning' in line]
    assert len(warnings) == 2, result.stderr
    assert warnings[0].endswith('UserWarning: skipping an unreadable gallery image: '
                                f'cannot read image {folder / "b.png"}: not an image '
                                'file (0 bytes, no known image header)')
    assert warnings[1].endswith('UserWarning: skipped 1 of 3 gallery images '
                                '(unreadable); the index holds the other 2')
    assert GalleryIndex.load(
        str(index)).names == [str(folder / 'a.png'),
                              str(folder / 'c.png')]
    assert out.exists()
