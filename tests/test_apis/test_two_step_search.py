"""The search API and tools/search_demo.py run a composed two-step searcher
(MGTS's tiny search config, random weights joined by compose_two_step)
unchanged; plain images carry no instance map, so a config asking for
instance masks without a segmentor stops with a one-line error."""
import os.path as osp
import runpy

import cv2
import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

from mmps.apis import embed_query, index_gallery, init_searcher, search
from mmps.testing import get_config_file, get_repo_root
from mmps.utils import fill_num_person_ids, register_all_modules
from mmps.utils.compose_checkpoint import compose_two_step, save_composed
from .conftest import scene

CONFIG = get_config_file('mgts/mgts_search_tiny_synthetic.py')
QUERY_BOX = [10., 8., 40., 72.]
# few detections, all kept (random weights score low)
FAST = {
    'model.score_thr': 0.0,
    'model.detector.test_cfg.rpn.max_per_img': 10,
    'model.detector.test_cfg.rcnn.score_thr': 0.0,
    'model.detector.test_cfg.rcnn.max_per_img': 3,
}
# the tight box as the mask: plain images have no instance map
BOX_MASKS = {**FAST, 'model.reid.crop_cfg.mask': 'box'}


@pytest.fixture(scope='module')
def composed(tmp_path_factory) -> str:
    """A searcher checkpoint composed from random detector and re-ID
    checkpoints, as compose_two_step.py writes it, beside a folder
    ``gallery`` of two scenes."""
    tmp = tmp_path_factory.mktemp('two_step')
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(CONFIG)
    fill_num_person_ids(cfg, 5)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    detector, reid = str(tmp / 'det.pth'), str(tmp / 'reid.pth')
    torch.save(dict(state_dict=model.detector.state_dict()), detector)
    torch.save(
        dict(state_dict={f'reid.{k}': v
                         for k, v in model.reid.state_dict().items()}), reid)
    out = str(tmp / 'searcher.pth')
    save_composed(compose_two_step(CONFIG, detector, reid), out)
    (tmp / 'gallery').mkdir()
    for i in range(2):
        cv2.imwrite(str(tmp / 'gallery' / f'{i}.png'), scene(i))
    return out


def test_index_and_search(composed):
    searcher = init_searcher(CONFIG, composed, cfg_options=BOX_MASKS)
    gallery = osp.join(osp.dirname(composed), 'gallery')
    index = index_gallery(searcher, gallery, progress=False)
    assert index.names == [osp.join(gallery, f'{i}.png') for i in range(2)]
    embeddings = np.concatenate(index.embeddings)
    assert embeddings.shape == (sum(map(len, index.bboxes)), 64) and len(embeddings)
    assert np.allclose(np.linalg.norm(embeddings, axis=1), 1, atol=1e-5)
    query = embed_query(searcher, scene(0), np.array([QUERY_BOX]))
    assert query.shape == (1, 64)
    hits = search(searcher, index.names[0], QUERY_BOX, index, topk=2, score_thr=0.0)
    assert len(hits) == 2
    assert hits[0].similarity >= hits[1].similarity


def test_instance_masks_on_plain_images_need_a_segmentor(composed):
    searcher = init_searcher(CONFIG, composed, cfg_options=FAST)
    with pytest.raises(
            ValueError,
            match="crop_cfg.mask='instance' needs an instance map: add "
            'LoadInstanceMap to the test pipeline or configure model.segmentor'):
        embed_query(searcher, scene(0), np.array([QUERY_BOX]))


def test_search_demo(composed, tmp_path, capsys):
    demo = runpy.run_path(osp.join(get_repo_root(), 'tools', 'search_demo.py'))
    gallery = osp.join(osp.dirname(composed), 'gallery')
    out = str(tmp_path / 'result.png')
    status = demo['main']([
        osp.join(gallery, '0.png'), '--box', *map(str, QUERY_BOX), '--gallery', gallery,
        '--config', CONFIG, '--checkpoint', composed, '--out', out, '--topk', '2',
        '--score-thr', '0', '--cfg-options',
        *[f'{k}={v}' for k, v in BOX_MASKS.items()]
    ])
    assert status == 0, capsys.readouterr().err
    assert cv2.imread(out) is not None
