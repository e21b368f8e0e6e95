"""The main job (:func:`mmps.apis.demo.run_demo`, ``tools/demo.py``): a
short training of the tiny OIM model on the synthetic data lowers its
losses and searches far better than chance."""
import os.path as osp

import pytest

from mmps.apis.demo import DemoArgumentError, run_demo
from mmps.testing import get_config_file
from .conftest import read_scalars

TRAIN_EPOCHS = 3


def test_short_training_lowers_losses_and_beats_chance(tmp_path):
    work_dir = str(tmp_path / 'work')
    outcome = run_demo(
        config=get_config_file('oim/oim_tiny_synthetic.py'),
        work_dir=work_dir,
        data_root=str(tmp_path / 'synthetic'),
        epochs=TRAIN_EPOCHS,
        queries=[0, 1])

    records = read_scalars(work_dir)
    assert len(records) >= 10, 'the training log is missing'
    for key in ('loss', 'loss_oim', 'loss_cls'):
        first = sum(r[key] for r in records[:3]) / 3
        last = sum(r[key] for r in records[-3:]) / 3
        assert last < 0.8 * first, f'{key}: {first:.3f} -> {last:.3f}'

    model, chance = outcome['model'], outcome['chance']
    # chance: the same detections with random embeddings
    assert model['mAP'] > chance['mAP'] + 0.08, (model['mAP'], chance['mAP'])
    assert model['mAP'] > 2 * chance['mAP']
    assert model['top1'] > chance['top1']
    assert model['det_recall'] > 0.5
    # detection counted at score 0.01, the search at 0.5
    assert model['det_score_thr'] == 0.01
    assert model['search_score_thr'] == 0.5
    assert osp.getsize(outcome['picture']) > 0
    assert outcome['num_queries'] == 16


@pytest.mark.parametrize('kwargs, error, message', [
    (dict(epochs=0), DemoArgumentError, '--epochs must be at least 1, got 0'),
    (dict(config='no/such/config.py'), FileNotFoundError,
     'config file no/such/config.py does not exist'),
])
def test_bad_arguments_fail_before_any_work(tmp_path, kwargs, error, message):
    data_root = tmp_path / 'synthetic'
    with pytest.raises(error, match=message):
        run_demo(data_root=str(data_root), work_dir=str(tmp_path / 'w'), **kwargs)
    assert not data_root.exists()
