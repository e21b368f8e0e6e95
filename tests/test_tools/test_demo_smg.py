"""SMG end to end on the synthetic data: a short training of the tiny SMG
model (:func:`mmps.apis.demo.run_demo`) lowers every loss, the mask loss
included, and searches far better than chance; ``tools/test.py`` and
``tools/search_demo.py`` work unchanged on its checkpoint."""
import json
import os.path as osp
import shutil

import pytest

from mmps.apis.demo import run_demo
from mmps.testing import get_config_file, run_tool
from .conftest import read_scalars

TRAIN_EPOCHS = 3
CONFIG = get_config_file('smg/smg_tiny_synthetic.py')
# fewer proposals and detections per test image (speed)
FAST_TEST_CFG = ('model.test_cfg.rpn.max_per_img=20',
                 'model.test_cfg.rcnn.max_per_img=5')


@pytest.fixture(scope='module')
def smg_run(tmp_path_factory) -> dict:
    """One 3-epoch training of the tiny SMG model; ``root`` holds
    ``data/synthetic`` where the config expects it."""
    root = tmp_path_factory.mktemp('smg')
    work_dir = str(root / 'work')
    outcome = run_demo(
        config=CONFIG,
        work_dir=work_dir,
        data_root=str(root / 'data' / 'synthetic'),
        epochs=TRAIN_EPOCHS,
        queries=[0, 1])
    return dict(
        root=str(root),
        work_dir=work_dir,
        outcome=outcome,
        checkpoint=osp.join(work_dir, f'epoch_{TRAIN_EPOCHS}.pth'))


def test_short_training_lowers_losses_and_beats_chance(smg_run):
    records = read_scalars(smg_run['work_dir'])
    assert len(records) >= 10, 'the training log is missing'
    for key in ('loss', 'loss_oim', 'loss_cls', 'loss_mask'):
        first = sum(r[key] for r in records[:3]) / 3
        last = sum(r[key] for r in records[-3:]) / 3
        assert last < 0.8 * first, f'{key}: {first:.3f} -> {last:.3f}'
    model, chance = smg_run['outcome']['model'], smg_run['outcome']['chance']
    assert model['mAP'] > chance['mAP'] + 0.08, (model['mAP'], chance['mAP'])
    assert model['mAP'] > 2 * chance['mAP']
    assert model['top1'] > chance['top1']
    assert model['det_recall'] > 0.5


def test_test_tool_evaluates_the_smg_checkpoint(smg_run, tmp_path):
    result = run_tool(
        'test.py',
        CONFIG,
        smg_run['checkpoint'],
        '--work-dir',
        str(tmp_path / 'test'),
        '--cfg-options',
        *FAST_TEST_CFG,
        cwd=smg_run['root'])
    output = result.stdout + result.stderr
    assert 'mAP' in output, output[-2000:]
    assert 'Traceback' not in output


def test_search_demo_searches_with_the_smg_checkpoint(smg_run, tmp_path):
    data_root = osp.join(smg_run['root'], 'data', 'synthetic')
    with open(osp.join(data_root, 'annotations', 'test.json')) as f:
        test = json.load(f)
    names = {img['id']: img['file_name'] for img in test['images']}
    query = test['protocol']['queries'][0]
    x, y, w, h = query['bbox']
    gallery = tmp_path / 'gallery'
    gallery.mkdir()
    for image_id in sorted(names)[:4]:
        if image_id != query['image_id']:
            shutil.copy(
                osp.join(data_root, 'images', names[image_id]),
                gallery / osp.basename(names[image_id]))
    out = tmp_path / 'hits.png'
    result = run_tool(
        'search_demo.py',
        osp.join(data_root, 'images', names[query['image_id']]),
        '--box',
        x,
        y,
        x + w,
        y + h,
        '--gallery',
        str(gallery),
        '--config',
        CONFIG,
        '--checkpoint',
        smg_run['checkpoint'],
        '--out',
        str(out),
        '--score-thr',
        '0.3',
        cwd=smg_run['root'],
        env=dict(CUDA_VISIBLE_DEVICES=''))
    assert 'similarity' in result.stdout, result.stdout[-2000:]
    assert osp.getsize(out) > 0
