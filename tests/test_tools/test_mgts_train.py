"""MGTS's tiny variant end to end on CPU (issue section 7): the detector and
the re-ID network trained apart, the re-ID config tested on GT boxes,
both composed by ``compose_two_step.py`` and searched by ``tools/test.py
--out``; GT boxes and searcher both beat chance (``demo.chance_level``)."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmps.apis.demo import chance_level
from mmps.datasets import ensure_synthetic_dataset
from mmps.evaluation.functional import (evaluate_results, load_protocol, load_results,
                                        summarize)
from mmps.testing import get_config_file, run_tool
from mmps.utils import fill_num_person_ids

DET_EPOCHS = 3
REID_EPOCHS = 2
pytestmark = pytest.mark.usefixtures('one_torch_thread')


def _tiny_cfg(name: str, data_root: str, work_dir: str, epochs: int) -> Config:
    cfg = Config.fromfile(get_config_file(f'mgts/{name}'))
    cfg.work_dir = work_dir
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
    for evaluator in ('val_evaluator', 'test_evaluator'):
        cfg[evaluator].ann_file = osp.join(data_root, 'annotations', 'test.json')
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_begin = epochs + 1  # no validation epochs
    cfg.randomness = dict(seed=0)
    cfg.default_hooks.checkpoint.max_keep_ckpts = 1
    fill_num_person_ids(cfg)
    return cfg


def _metrics(results_file: str, protocol) -> dict:
    return summarize(evaluate_results(load_results(results_file), protocol), protocol)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """Both steps trained once; the re-ID config tested on GT boxes."""
    tmp = tmp_path_factory.mktemp('mgts')
    data_root = str(tmp / 'synthetic') + '/'
    ensure_synthetic_dataset(data_root)
    det_cfg = _tiny_cfg('mgts_det_tiny_synthetic.py', data_root, str(tmp / 'det'),
                        DET_EPOCHS)
    Runner.from_cfg(det_cfg).train()
    reid_cfg = _tiny_cfg('mgts_reid_tiny_synthetic.py', data_root, str(tmp / 'reid'),
                         REID_EPOCHS)
    gt_results = str(tmp / 'gt_boxes.pkl')
    reid_cfg.test_evaluator.outfile_path = gt_results
    runner = Runner.from_cfg(reid_cfg)
    runner.train()
    runner.test()
    return dict(
        tmp=tmp,
        data_root=data_root,
        protocol=load_protocol(osp.join(data_root, 'annotations', 'test.json')),
        detector=osp.join(str(tmp / 'det'), f'epoch_{DET_EPOCHS}.pth'),
        reid=osp.join(str(tmp / 'reid'), f'epoch_{REID_EPOCHS}.pth'),
        gt_results=gt_results)


def _beats_chance(model: dict, chance: dict) -> None:
    assert model['mAP'] > chance['mAP'] + 0.08, (model['mAP'], chance['mAP'])
    assert model['mAP'] > 2 * chance['mAP']
    assert model['top1'] > chance['top1']
    assert model['det_recall'] > 0.5


def test_reid_step_on_gt_boxes_beats_chance(trained):
    protocol = trained['protocol']
    records = load_results(trained['gt_results'])
    _beats_chance(
        _metrics(trained['gt_results'], protocol), chance_level(records, protocol))


def test_composed_searcher_beats_chance(trained):
    tmp, data_root = trained['tmp'], trained['data_root']
    config = get_config_file('mgts/mgts_search_tiny_synthetic.py')
    checkpoint = str(tmp / 'searcher.pth')
    run_tool('model_converters/compose_two_step.py', config, '--detector',
             trained['detector'], '--reid', trained['reid'], '--out', checkpoint)
    results = str(tmp / 'search.pkl')
    ann_file = osp.join(data_root, 'annotations', 'test.json')
    run_tool('test.py', config, checkpoint, '--work-dir', str(tmp / 'search'), '--out',
             results, '--cfg-options', f'test_dataloader.dataset.data_root={data_root}',
             f'test_evaluator.ann_file={ann_file}')
    protocol = trained['protocol']
    _beats_chance(
        _metrics(results, protocol), chance_level(load_results(results), protocol))
