"""One BUFF epoch is every training image as is plus every image flipped
(Sec. 5.2: "On PRW (totally 11,408 training images, including the flipped
images)", 2 x 5,704 frames), over 5 epochs with the lr drop after the
fourth.

Every ResNet-50 BUFF config is checked as written; one is then built on a
tiny synthetic split in place of PRW, with what reads the training set:
the OIM lookup-table fill and the batch sampler."""
from pathlib import Path

import pytest
import torch
from mmdet.registry import DATASETS
from mmengine.config import Config
from mmengine.runner import Runner

from mmps.datasets import make_synthetic_dataset
from mmps.testing import TINY_SYNTHETIC_CFG, get_config_file
from mmps.utils import fill_num_person_ids

BUFF_DIR = Path(get_config_file('buff/buff_r50_prw.py')).parent
R50_CONFIGS = sorted(
    str(path.relative_to(BUFF_DIR)) for path in [
        *BUFF_DIR.glob('*_r50_*.py'), *BUFF_DIR.glob('table7/*.py'),
        *BUFF_DIR.glob('bn_reading/*.py')
    ])


def flip_probs(dataset_cfg) -> list:
    """The ``prob`` of every RandomFlip of a dataset config's pipeline."""
    return [t.prob for t in dataset_cfg.pipeline if t.type == 'RandomFlip']


def test_every_r50_config_is_checked():
    # Table 1 / 4 (12), Fig. 4 (3), Table 7 (2), BN reading (2)
    assert len(R50_CONFIGS) == 19


@pytest.mark.parametrize('name', R50_CONFIGS)
def test_an_epoch_is_every_image_as_is_and_flipped(name):
    cfg = Config.fromfile(BUFF_DIR / name)
    dataset = cfg.train_dataloader.dataset
    assert dataset.type == 'ConcatDataset'
    as_is, flipped = dataset.datasets
    assert flip_probs(as_is) == [0.0] and flip_probs(flipped) == [1.0]
    # the copies differ in the flip only
    assert ({**as_is, 'pipeline': None} == {**flipped, 'pipeline': None})
    assert [t for t in as_is.pipeline if t.type != 'RandomFlip'] == \
        [t for t in flipped.pipeline if t.type != 'RandomFlip']
    assert as_is.data_root in ('data/PRW/', 'data/CUHK-SYSU/')
    assert cfg.train_dataloader.batch_size == 4
    assert cfg.train_cfg.max_epochs == 5
    [scheduler] = cfg.param_scheduler
    assert scheduler.type == 'MultiStepLR' and scheduler.milestones == [4]


@pytest.fixture(scope='module')
def synthetic_root(tmp_path_factory) -> str:
    root = str(tmp_path_factory.mktemp('synthetic'))
    make_synthetic_dataset(root, **TINY_SYNTHETIC_CFG)
    return root + '/'


@pytest.fixture(scope='module')
def buff_prw_cfg(synthetic_root) -> Config:
    """buff_r50_prw.py with both training copies reading the synthetic
    split (the PRW paths replaced, nothing else)."""
    cfg = Config.fromfile(BUFF_DIR / 'buff_r50_prw.py')
    for copy in cfg.train_dataloader.dataset.datasets:
        copy.update(
            data_root=synthetic_root,
            ann_file='annotations/train.json',
            data_prefix=dict(img='images/'))
    cfg.train_dataloader.update(num_workers=0, persistent_workers=False)
    return cfg


def test_built_training_set_holds_each_image_twice(buff_prw_cfg):
    cfg = buff_prw_cfg
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    one_copy = DATASETS.build(cfg.train_dataloader.dataset.datasets[0])
    num = len(one_copy)
    assert num == TINY_SYNTHETIC_CFG['num_train_images']
    assert len(dataset) == 2 * num

    for index in (0, num - 1):
        as_is = dataset[index]['data_samples']
        flipped = dataset[num + index]['data_samples']
        assert as_is.img_path == flipped.img_path
        assert not as_is.flip and flipped.flip
        width = as_is.img_shape[1]
        boxes = as_is.gt_instances.bboxes.tensor
        mirrored = flipped.gt_instances.bboxes.tensor
        assert torch.allclose(mirrored[:, [2, 0]], width - boxes[:, [0, 2]])
        assert torch.equal(as_is.gt_instances.person_ids,
                           flipped.gt_instances.person_ids)

    # the OIM lookup-table size still comes from the training data
    assert dataset.metainfo['num_person_ids'] == TINY_SYNTHETIC_CFG['num_train_ids']
    fill_cfg = Config(dict(cfg.to_dict()))
    assert fill_num_person_ids(fill_cfg) == TINY_SYNTHETIC_CFG['num_train_ids']
    assert fill_cfg.model.roi_head.reid_head.loss_reid.num_person_ids == \
        TINY_SYNTHETIC_CFG['num_train_ids']


def test_batch_sampler_covers_both_copies_once_per_epoch(buff_prw_cfg):
    loader = Runner.build_dataloader(buff_prw_cfg.train_dataloader, seed=0)
    batches = list(loader.batch_sampler)
    assert all(len(batch) <= 4 for batch in batches)
    indices = sorted(i for batch in batches for i in batch)
    assert indices == list(range(2 * TINY_SYNTHETIC_CFG['num_train_images']))
