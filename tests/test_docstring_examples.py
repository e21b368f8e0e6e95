"""The ``>>>`` examples of the public API's docstrings run and print what
they show."""
import doctest
import importlib

import pytest

MODULES = [
    'mmps.apis.searcher', 'mmps.apis.index_gallery', 'mmps.apis.search',
    'mmps.apis.gallery_index', 'mmps.evaluation.functional.search_eval',
    'mmps.models.losses.oim_loss', 'mmps.utils.model_builder',
    'mmps.utils.strict_checkpoint', 'mmps.apis.model_fingerprint',
    'mmps.models.layers.roi_align_cropper', 'mmps.models.layers.roi_transform',
    'mmps.models.layers.affine_grid_cropper', 'mmps.models.losses.proxy_triplet_loss',
    'mmps.models.reid.bnneck_reid', 'mmps.structures.mask',
    'mmps.models.utils.person_segmentor', 'mmps.utils.anchor_scales',
    'mmps.datasets.samplers.identity_sampler', 'mmps.testing.worker_threads'
]


@pytest.mark.parametrize('name', MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f'{name} has no docstring example'
    assert result.failed == 0, f'{result.failed} example(s) of {name} failed'
