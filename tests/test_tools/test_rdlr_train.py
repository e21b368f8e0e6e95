"""RDLR's tiny variant end to end on CPU (issue section 7): the detector
and the re-ID network trained apart, then refined together (run_demo);
the refined searcher beats chance and works with init_searcher, search,
tools/search_demo.py and tools/test.py without training data."""
import json
import os
import os.path as osp
import shutil

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmps.apis import index_gallery, init_searcher, search
from mmps.apis.demo import run_demo
from mmps.datasets import ensure_synthetic_dataset
from mmps.testing import get_config_file, run_tool
from mmps.utils import fill_num_person_ids
from .conftest import read_scalars

DET_EPOCHS = 3
REID_EPOCHS = 8
REFINE_EPOCHS = 1
pytestmark = pytest.mark.usefixtures('one_torch_thread')


def _train(name: str, data_root: str, work_dir: str, epochs: int) -> str:
    """Train a tiny config on the synthetic data; its last checkpoint."""
    cfg = Config.fromfile(get_config_file(f'rdlr/{name}.py'))
    cfg.work_dir = work_dir
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
    for evaluator in ('val_evaluator', 'test_evaluator'):
        cfg[evaluator].ann_file = osp.join(data_root, 'annotations', 'test.json')
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_begin = epochs + 1  # no validation epochs
    cfg.randomness = dict(seed=0)
    cfg.default_hooks.checkpoint.max_keep_ckpts = 1
    # the visualizer is a process-wide instance per name: one per run, so
    # that each run logs into its own work dir
    cfg.visualizer.name = name
    fill_num_person_ids(cfg)
    Runner.from_cfg(cfg).train()
    return osp.join(work_dir, f'epoch_{epochs}.pth')


@pytest.fixture(scope='module')
def refined(tmp_path_factory):
    """The three steps, once: the refinement through ``run_demo`` (train,
    person-search test, chance level of the same detections)."""
    tmp = tmp_path_factory.mktemp('rdlr')
    data_root = str(tmp / 'synthetic') + '/'
    ensure_synthetic_dataset(data_root)
    detector = _train('rdlr_det_tiny_synthetic', data_root, str(tmp / 'det'),
                      DET_EPOCHS)
    reid = _train('rdlr_reid_tiny_synthetic', data_root, str(tmp / 'reid'), REID_EPOCHS)
    cfg = Config.fromfile(get_config_file('rdlr/rdlr_tiny_synthetic.py'))
    cfg.model.update(detector_checkpoint=detector, reid_checkpoint=reid)
    cfg.visualizer.name = 'rdlr_tiny_synthetic'

    config = str(tmp / 'rdlr_tiny_synthetic.py')
    cfg.dump(config)
    work_dir = str(tmp / 'refine')
    outcome = run_demo(
        config=config,
        work_dir=work_dir,
        data_root=data_root,
        epochs=REFINE_EPOCHS,
        queries=[0])
    return dict(
        outcome,
        tmp=tmp,
        data_root=data_root,
        config=config,
        work_dir=work_dir,
        checkpoint=osp.join(work_dir, f'epoch_{REFINE_EPOCHS}.pth'))


def test_refinement_trains_without_box_regression_and_beats_chance(refined):
    records = read_scalars(refined['work_dir'])
    assert records, 'the refinement log is missing'
    assert {'loss_rpn_cls', 'loss_cls', 'loss_reid_cls', 'loss_proxy_tri'} <= set(
        records[0])
    assert not any('loss_bbox' in record for record in records)
    assert any(record['loss_proxy_tri'] > 0 for record in records)
    model, chance = refined['model'], refined['chance']
    assert model['mAP'] > chance['mAP'] + 0.08, (model['mAP'], chance['mAP'])
    assert model['mAP'] > 2 * chance['mAP']
    assert model['top1'] > chance['top1']
    assert model['det_recall'] > 0.5


def _first_query(data_root: str):
    """(image path, x1y1x2y2 box) of the test split's first query."""
    with open(osp.join(data_root, 'annotations', 'test.json')) as f:
        test = json.load(f)
    query = test['protocol']['queries'][0]
    name = next(img['file_name'] for img in test['images']
                if img['id'] == query['image_id'])
    x, y, w, h = query['bbox']
    return osp.join(data_root, 'images', name), [x, y, x + w, y + h]


def _small_gallery(tmp, query_image: str) -> str:
    """A folder of the query's image and five other test images."""
    folder = tmp / 'gallery'
    if not folder.exists():
        folder.mkdir()
        test_images = osp.dirname(query_image)
        names = {osp.basename(query_image), *sorted(os.listdir(test_images))[:5]}
        for name in names:
            shutil.copy(osp.join(test_images, name), folder / name)
    return str(folder)


def _without_training_data(tmp) -> list:
    """cfg-options that point the training split at a missing folder."""
    return [f'train_dataloader.dataset.data_root={tmp}/no_training_data/']


def test_apis_search_with_the_refined_checkpoint(refined):
    tmp = refined['tmp']
    options = dict(item.split('=', 1) for item in _without_training_data(tmp))
    searcher = init_searcher(
        refined['config'], refined['checkpoint'], cfg_options=options)
    # the proxy table and the classifier came from the checkpoint
    assert searcher.loss_proxy_tri.num_person_ids == searcher.reid.num_person_ids == 24
    query_image, query_box = _first_query(refined['data_root'])
    index = index_gallery(searcher, _small_gallery(tmp, query_image), progress=False)
    hits = search(searcher, query_image, query_box, index, topk=3, score_thr=0.0)
    assert 0 < len(hits) <= 3
    assert hits[0].similarity >= hits[-1].similarity


def test_search_demo_and_test_tool_run_on_the_checkpoint(refined):
    tmp, data_root = refined['tmp'], refined['data_root']
    query_image, query_box = _first_query(data_root)
    out = tmp / 'demo.png'
    run_tool('search_demo.py', query_image, '--box', *[str(v) for v in query_box],
             '--config', refined['config'], '--checkpoint', refined['checkpoint'],
             '--gallery', _small_gallery(tmp, query_image), '--topk', '3', '--out',
             str(out), '--cfg-options', *_without_training_data(tmp))
    assert out.stat().st_size > 0
    results = str(tmp / 'test.pkl')
    result = run_tool('test.py', refined['config'], refined['checkpoint'], '--work-dir',
                      str(tmp / 'test'), '--out', results, '--cfg-options',
                      f'test_dataloader.dataset.data_root={data_root}',
                      f'test_evaluator.ann_file={data_root}annotations/test.json',
                      *_without_training_data(tmp))
    assert osp.getsize(results) > 0
    assert 'mAP' in result.stdout + result.stderr
