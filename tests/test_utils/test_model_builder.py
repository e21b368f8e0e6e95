"""build_person_search_model and fill_num_person_ids: the identity count
from the training split or the checkpoint, init and strict loading."""
import pytest
import torch
from mmdet.registry import DATASETS
from mmengine.config import Config

from mmps.datasets import make_synthetic_dataset
from mmps.testing import get_config_file
from mmps.utils import (build_person_search_model, fill_num_person_ids,
                        has_unfilled_num_person_ids)

CONFIG = get_config_file('oim/oim_tiny_synthetic.py')
LOSS_KEY = 'model.roi_head.reid_head.loss_reid.num_person_ids'


def test_fill_sets_every_unfilled_count_and_only_those():
    cfg = Config(
        dict(
            model=dict(
                a=dict(num_person_ids=None),
                b=[dict(num_person_ids=7),
                   dict(num_person_ids=None)])))
    assert has_unfilled_num_person_ids(cfg.model)
    assert fill_num_person_ids(cfg, 5) == 5
    assert cfg.model.a.num_person_ids == 5
    assert [b.num_person_ids for b in cfg.model.b] == [7, 5]
    assert not has_unfilled_num_person_ids(cfg.model)
    assert fill_num_person_ids(cfg) is None  # nothing left: nothing built


def test_count_from_the_training_split(tmp_path):
    cfg = Config.fromfile(CONFIG)
    cfg.train_dataloader.dataset.data_root = str(tmp_path / 'synthetic')
    make_synthetic_dataset(
        str(tmp_path / 'synthetic'),
        seed=3,
        num_train_images=8,
        num_test_images=4,
        num_train_ids=3,
        num_test_ids=2,
        image_size=(96, 128),
        gallery_sizes=(2, ))
    expected = DATASETS.build(cfg.train_dataloader.dataset).metainfo['num_person_ids']
    assert expected > 0
    model = build_person_search_model(cfg, init_weights=False)
    assert cfg.model.roi_head.reid_head.loss_reid.num_person_ids == expected
    assert model.roi_head.reid_head.loss_reid.lut.shape[0] == expected


def test_count_from_the_checkpoint(tmp_path):
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict({LOSS_KEY: 6})
    torch.manual_seed(0)
    source = build_person_search_model(cfg)
    path = str(tmp_path / 'ckpt.pth')
    torch.save({'state_dict': source.state_dict()}, path)

    cfg = Config.fromfile(CONFIG)  # num_person_ids None, data absent
    cfg.train_dataloader.dataset.data_root = str(tmp_path / 'absent')
    model = build_person_search_model(cfg, path)
    assert cfg.model.roi_head.reid_head.loss_reid.num_person_ids == 6
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key


def test_missing_training_data_without_checkpoint(tmp_path):
    cfg = Config.fromfile(CONFIG)
    cfg.train_dataloader.dataset.data_root = str(tmp_path / 'absent')
    with pytest.raises(ValueError, match='cannot be read'):
        build_person_search_model(cfg)
