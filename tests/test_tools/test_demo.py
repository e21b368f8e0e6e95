"""The main job (``tools/demo.py``): a short training of the tiny OIM model on
the synthetic data lowers its losses and searches far better than chance."""
import importlib.util
import os.path as osp

from .conftest import REPO_ROOT, read_scalars

TRAIN_EPOCHS = 3


def load_demo_module():
    spec = importlib.util.spec_from_file_location(
        'mmps_demo', osp.join(REPO_ROOT, 'tools', 'demo.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_short_training_lowers_losses_and_beats_chance(tmp_path):
    demo = load_demo_module()
    work_dir = str(tmp_path / 'work')
    outcome = demo.run_demo(
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
    assert osp.getsize(outcome['picture']) > 0
