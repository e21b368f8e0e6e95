"""PersonCropDataset on the tiny synthetic split, with the crop pipeline of
configs/_base_/datasets/synthetic_crops.py."""
import pytest
import torch
from mmdet.registry import DATASETS
from mmengine.config import Config

from mmps.datasets import PersonCropDataset, PersonSearchDataset
from mmps.testing import get_config_file


def _crops(root, **kwargs):
    return PersonCropDataset(
        data_root=root,
        ann_file='annotations/train.json',
        data_prefix=dict(img='images/'),
        **kwargs)


def test_one_item_per_gt_box(tiny_root):
    images = PersonSearchDataset(
        data_root=tiny_root,
        ann_file='annotations/train.json',
        data_prefix=dict(img='images/'),
        pipeline=[])
    crops = _crops(tiny_root, pipeline=[])
    boxes = [(info['img_id'], k, inst['person_id']) for info in images
             for k, inst in enumerate(info['instances'])]
    assert len(crops) == len(boxes)
    assert [(c['img_id'], c['crop_index'], c['person_id']) for c in crops] == boxes
    assert -1 in {c['person_id'] for c in crops}  # unlabelled boxes are items
    assert crops.metainfo['num_person_ids'] == images.metainfo['num_person_ids']
    assert crops.get_person_ids() == [person_id for _, _, person_id in boxes]


def test_test_mode_is_refused(tiny_root):
    with pytest.raises(
            ValueError,
            match='PersonCropDataset is a training set: test the '
            r're-ID step with PersonSearchDataset and TwoStepSearcher'):
        _crops(tiny_root, pipeline=[], test_mode=True)


def test_config_pipeline_packs_patches(tiny_root):
    cfg = Config.fromfile(get_config_file('_base_/datasets/synthetic_crops.py'))
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.update(data_root=tiny_root)
    crop_cfg = dict(cfg.crop_cfg, mask='instance')
    dataset_cfg.pipeline = [
        dict(step, **crop_cfg) if step.type == 'CropPersonPatch' else step
        for step in dataset_cfg.pipeline
    ]
    crops = DATASETS.build(dataset_cfg)
    item = crops[0]
    assert item['inputs'].shape == (3, ) + tuple(cfg.crop_cfg['size'])
    assert item['inputs'].dtype == torch.float32
    sample = item['data_samples']
    assert sample.fg_mask.shape == (1, ) + tuple(cfg.crop_cfg['size'])
    assert sample.fg_mask.sum() > 0
    assert int(sample.gt_label.label) == crops.get_data_info(0)['person_id']
    assert sample.metainfo['crop_cfg'] == dict(
        expand_ratio=1.0, size=tuple(cfg.crop_cfg['size']), mask='instance')
