"""Fixtures of the search API tests: a tiny OIM searcher with random
weights, its checkpoint, checkpoints of other models (tiny BUFF, a
RetinaNet) and a gallery of three small scene images."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmps.apis import index_gallery, init_searcher
from mmps.testing import get_config_file, get_repo_root
from mmps.utils import build_person_search_model

REPO_ROOT = get_repo_root()
CONFIG = get_config_file('oim/oim_tiny_synthetic.py')
BUFF_CONFIG = get_config_file('buff/buff_tiny_synthetic.py')
BUFF_BASELINE_CONFIG = get_config_file('buff/buff_baseline_tiny_synthetic.py')
SMOKE_CONFIG = get_config_file('smoke/smoke_retinanet_tiny.py')
NUM_PERSON_IDS = 5
EMBED_DIM = 64  # of the tiny config
IMG_H, IMG_W = 80, 120  # gallery and query images (resized x2 by the pipeline)
# every proposal is kept (random weights score low), few of them (speed)
FAST_TEST_CFG = {
    'model.test_cfg.rpn.max_per_img': 20,
    'model.test_cfg.rcnn.score_thr': 0.0,
    'model.test_cfg.rcnn.max_per_img': 5,
}
FIXED_IDS = {'model.roi_head.reid_head.loss_reid.num_person_ids': NUM_PERSON_IDS}


def save_checkpoint(model, path) -> str:
    """Write ``model``'s weights as mmengine's runner does (under
    ``state_dict``); return the path."""
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, str(path))
    return str(path)


def scene(seed: int) -> np.ndarray:
    """A (IMG_H, IMG_W, 3) BGR image: noise and two coloured 'persons'."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 255, (IMG_H, IMG_W, 3), dtype=np.uint8)
    for x in rng.integers(5, IMG_W - 30, 2):
        color = tuple(int(c) for c in rng.integers(0, 255, 3))
        cv2.rectangle(img, (int(x), 10), (int(x) + 20, 70), color, -1)
    return img


@pytest.fixture(scope='session')
def searcher():
    torch.manual_seed(0)
    return init_searcher(CONFIG, cfg_options={**FIXED_IDS, **FAST_TEST_CFG})


@pytest.fixture(scope='session')
def checkpoint(searcher, tmp_path_factory) -> str:
    return save_checkpoint(searcher, tmp_path_factory.mktemp('ckpt') / 'tiny_oim.pth')


@pytest.fixture(scope='session')
def gallery_dir(tmp_path_factory) -> str:
    """Three scenes (two .png, one .jpg) and a file that is no image."""
    folder = tmp_path_factory.mktemp('gallery')
    for i, name in enumerate(['a.png', 'b.jpg', 'c.png']):
        cv2.imwrite(str(folder / name), scene(i))
    (folder / 'notes.txt').write_text('not an image')
    return str(folder)


@pytest.fixture(scope='session')
def gallery_index(searcher, gallery_dir):
    return index_gallery(searcher, gallery_dir, progress=False)


@pytest.fixture(scope='session')
def buff_checkpoint(tmp_path_factory) -> str:
    """A checkpoint of the tiny BUFF (random weights)."""
    torch.manual_seed(0)
    model = init_searcher(BUFF_CONFIG, cfg_options=FIXED_IDS)
    return save_checkpoint(model, tmp_path_factory.mktemp('ckpt') / 'tiny_buff.pth')


@pytest.fixture(scope='session')
def smoke_checkpoint(tmp_path_factory) -> str:
    """A checkpoint of the smoke RetinaNet: a detector, no person searcher."""
    torch.manual_seed(0)
    model = build_person_search_model(Config.fromfile(SMOKE_CONFIG))
    return save_checkpoint(model, tmp_path_factory.mktemp('ckpt') / 'retinanet.pth')
