"""compose_two_step joins separately trained parts; init_searcher,
index_gallery and search run the composed searcher unchanged."""
import numpy as np
import pytest
import torch
from mmdet.registry import MODELS

from mmps.apis import index_gallery, init_searcher, search
from mmps.testing.two_step_cases import tiny_two_step_cfg, write_two_step_config
from mmps.utils import CheckpointError
from mmps.utils.compose_checkpoint import compose_two_step, save_composed


@pytest.fixture(scope='module')
def parts(tmp_path_factory):
    """A detector checkpoint (mmdet training stores the bare detector) and a
    re-ID checkpoint of the re-ID step (a TwoStepSearcher with
    detector=None: keys under 'reid.', OIM table of 5 identities)."""
    folder = tmp_path_factory.mktemp('parts')
    torch.manual_seed(3)
    detector_cfg = dict(
        type='StubDetector',
        boxes=[[4., 6., 30., 50.], [40., 5., 60., 55.]],
        scores=[0.9, 0.8])
    detector = MODELS.build(detector_cfg)
    reid_step = MODELS.build(tiny_two_step_cfg(num_person_ids=5))
    paths = dict(detector=str(folder / 'det.pth'), reid=str(folder / 'reid.pth'))
    torch.save(dict(state_dict=detector.state_dict(), meta={}), paths['detector'])
    torch.save(dict(state_dict=reid_step.state_dict(), meta={}), paths['reid'])
    paths['config'] = write_two_step_config(str(folder / 'two_step.py'), detector_cfg)
    return paths, detector, reid_step


def test_round_trip_and_apis(parts, tmp_path):
    paths, detector, reid_step = parts
    composed = compose_two_step(paths['config'], paths['detector'], paths['reid'])
    out = str(tmp_path / 'searcher.pth')
    save_composed(composed, out)
    assert composed['meta']['composed_from'] == dict(
        detector=paths['detector'], reid=paths['reid'])
    searcher = init_searcher(paths['config'], out)
    for key, value in reid_step.state_dict().items():
        assert torch.equal(searcher.state_dict()[key], value), key
    for key, value in detector.state_dict().items():
        assert torch.equal(searcher.detector.state_dict()[key], value), key
    assert searcher.reid.loss_reid.num_person_ids == 5

    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (120, 160, 3), dtype=np.uint8) for _ in range(2)]
    index = index_gallery(searcher, images, progress=False)
    assert len(index) == 2
    # the stub detects in the 80x60 input frame: x2 in the original frame
    hits = search(searcher, images[1], [80., 10., 120., 110.], index, topk=4)
    assert len(hits) == 4
    assert hits[0].image == '<array 1>' and list(hits[0].box) == pytest.approx(
        [80., 10., 120., 110.])
    assert hits[0].similarity == pytest.approx(1.0, abs=1e-5)


def test_wrong_parts(parts, tmp_path):
    paths, _, _ = parts
    with pytest.raises(
            ValueError,
            match=r'--detector .*reid.pth holds the reid of this '
            r'config, not its detector: pass it as --reid'):
        compose_two_step(paths['config'], paths['reid'], paths['reid'])
    with pytest.raises(
            ValueError,
            match=r'--reid .*det.pth holds the detector of this '
            r'config, not its reid: pass it as --detector'):
        compose_two_step(paths['config'], paths['detector'], paths['detector'])
    other = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict=dict(weight=torch.zeros(2))), other)
    with pytest.raises(
            CheckpointError,
            match=r'does not match the config .*\(model.reid\)'
            r'.* Give --reid a checkpoint of the reid this config describes'):
        compose_two_step(paths['config'], paths['detector'], other)
    with pytest.raises(ValueError, match='has no model.segmentor: drop --segmentor'):
        compose_two_step(paths['config'], paths['detector'], paths['reid'], other)
    no_detector = write_two_step_config(str(tmp_path / 'gt.py'), detector=None)
    with pytest.raises(ValueError, match='has no model.detector to load'):
        compose_two_step(no_detector, paths['detector'], paths['reid'])
