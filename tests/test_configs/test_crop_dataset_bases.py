"""The crop dataset bases of the two-step family: their pipelines cut with
their crop_cfg after the detector's Resize, and one runner trains a
TwoStepSearcher(detector=None) on the crops and tests it on GT boxes."""
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmps.testing import get_config_file
from mmps.testing.two_step_cases import tiny_two_step_cfg
from mmps.utils import fill_num_person_ids

BASES = ['synthetic_crops.py', 'cuhk_sysu_crops.py', 'prw_crops.py']


@pytest.mark.parametrize('name', BASES)
def test_pipelines(name):
    cfg = Config.fromfile(get_config_file(f'_base_/datasets/{name}'))
    train = cfg.train_dataloader.dataset
    assert train.type == 'PersonCropDataset'
    steps = [step.type for step in train.pipeline]
    assert steps.index('Resize') < steps.index('CropPersonPatch')
    crop = train.pipeline[steps.index('CropPersonPatch')]
    assert {k: crop[k] for k in ('expand_ratio', 'size', 'mask')} == cfg.crop_cfg
    resize = train.pipeline[steps.index('Resize')]
    test_steps = cfg.test_dataloader.dataset.pipeline
    assert resize in test_steps  # train and test patches share one scale
    assert 'LoadInstanceMap' in [step.type for step in test_steps]
    assert cfg.test_dataloader.dataset.test_mode


def test_train_on_crops_test_on_gt_boxes(tiny_root, tmp_path):
    cfg = Config.fromfile(get_config_file('_base_/datasets/synthetic_crops.py'))
    cfg.merge_from_dict(
        Config.fromfile(get_config_file('_base_/default_runtime.py')).to_dict())
    cfg.model = tiny_two_step_cfg(crop_cfg=cfg.crop_cfg, num_person_ids=None)
    for loader in ('train_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = tiny_root
    cfg.train_dataloader.batch_size = 16
    cfg.test_evaluator.ann_file = f'{tiny_root}/annotations/test.json'
    cfg.update(
        train_cfg=dict(by_epoch=True, max_epochs=1, val_interval=2),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        val_dataloader=None,
        val_cfg=None,
        val_evaluator=None,
        test_cfg=dict(),
        work_dir=str(tmp_path))
    fill_num_person_ids(cfg)
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    # the GT boxes are the gallery: every person is found
    assert metrics['det_recall'] == 1.0
    assert 0 < metrics['mAP'] <= 1
