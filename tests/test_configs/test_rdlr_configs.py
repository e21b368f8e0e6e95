"""RDLR configs (configs/rdlr): each paper row's diff, the shared recipe,
and the parameter count of buff.txt Table 7."""
from pathlib import Path

import mmcv
import numpy as np
import pytest
from mmdet.registry import DATA_SAMPLERS, DATASETS, MODELS
from mmengine.config import Config

from mmps.datasets.converters import convert_market1501
from mmps.testing import get_config_file

PAPER_TABLE7_PARAMS = 56.21e6


def _cfg(name: str) -> Config:
    return Config.fromfile(get_config_file(f'rdlr/{name}.py'))


def _step(pipeline, kind):
    return next(step for step in pipeline if step.type == kind)


@pytest.mark.parametrize('name, detector, data_root', [
    ('rdlr_det_frcnn_cuhk_sysu', 'FasterRCNN', 'data/CUHK-SYSU/'),
    ('rdlr_det_frcnn_prw', 'FasterRCNN', 'data/PRW/'),
    ('rdlr_det_retinanet_cuhk_sysu', 'RetinaNet', 'data/CUHK-SYSU/'),
])
def test_detector_pretraining(name, detector, data_root):
    cfg = _cfg(name)
    assert cfg.model.type == detector
    head = cfg.model.get('roi_head', {}).get('bbox_head', cfg.model.get('bbox_head'))
    assert head.num_classes == 1
    assert cfg.model.backbone.init_cfg.checkpoint.startswith('https://')
    assert cfg.model.neck.type == 'FPN'
    assert cfg.train_dataloader.dataset.data_root == data_root
    for loader in ('train_dataloader', 'test_dataloader'):
        assert _step(cfg[loader].dataset.pipeline, 'Resize').scale == (1333, 800)
    assert cfg.val_evaluator.type == 'PersonDetectionMetric'
    assert cfg.train_cfg.max_epochs == 12
    assert cfg.param_scheduler[1].milestones == [8, 11]


class _Crops:
    """A crop dataset of ``num_ids`` identities with ``per_id`` crops each,
    items in identity order (what IdentitySampler reads)."""

    def __init__(self, num_ids: int, per_id: int) -> None:
        self.person_ids = [i // per_id for i in range(num_ids * per_id)]

    def __len__(self) -> int:
        return len(self.person_ids)

    def get_person_ids(self) -> list:
        return self.person_ids


@pytest.mark.parametrize('name', ['rdlr_reid_r50_cuhk_sysu', 'rdlr_reid_r50_prw'])
def test_reid_pretraining_recipe(name):
    cfg = _cfg(name)
    assert cfg.model.type == 'TwoStepSearcher' and cfg.model.get('detector') is None
    reid = cfg.model.reid
    assert reid.type == 'BNNeckReID'
    assert reid.backbone.depth == 50 and reid.backbone.strides == (1, 2, 2, 1)
    assert reid.label_smooth == 0.1 and reid.loss_triplet.margin == 0.3
    assert reid.crop_cfg == dict(expand_ratio=1.0, size=(256, 128), mask=None)
    pipeline = cfg.train_dataloader.dataset.pipeline
    kinds = [step.type for step in pipeline]
    # crops cut at the refinement's scale, then the baseline's augmentation
    assert kinds == [
        'LoadImageFromFile', 'Resize', 'CropPersonPatch', 'Pad', 'RandomCrop',
        'RandomFlip', 'RandomApply', 'PackCropReIDInputs'
    ]
    assert _step(pipeline, 'Resize').scale == (1333, 800)
    crop = _step(pipeline, 'CropPersonPatch')
    assert {k: crop[k] for k in ('expand_ratio', 'size', 'mask')} == reid.crop_cfg
    assert _step(pipeline, 'RandomApply').prob == 0.5
    # PK batches, 16 identities x 4 crops, the sampler's size the loader's
    loader = cfg.train_dataloader
    assert loader.batch_size == 64
    assert loader.sampler == dict(
        type='IdentitySampler', batch_size=64, num_instances=4)
    sampler = DATA_SAMPLERS.build(
        loader.sampler, default_args=dict(dataset=_Crops(20, 5), seed=0))
    batch = list(sampler)[:64]
    assert len({index // 5 for index in batch}) == 16
    assert cfg.optim_wrapper.optimizer == dict(
        type='Adam', lr=3.5e-4, weight_decay=5e-4)
    assert cfg.param_scheduler[0].milestones == [40, 70]
    assert cfg.train_cfg.max_epochs == 120
    assert _step(cfg.test_dataloader.dataset.pipeline, 'Resize').scale == (1333, 800)


def test_crop_pipeline_runs_on_a_crop_without_boxes(tiny_root):
    """Pad-and-crop must not need gt_bboxes (mmdet's RandomShift does)."""
    pipeline = _cfg('rdlr_reid_r50_cuhk_sysu').train_dataloader.dataset.pipeline
    synthetic = _cfg('rdlr_reid_tiny_synthetic').train_dataloader.dataset
    dataset = DATASETS.build(dict(synthetic, data_root=tiny_root, pipeline=pipeline))
    for index in range(3):
        packed = dataset[index]
        assert packed['inputs'].shape == (3, 256, 128)


def _market_release(root: Path, num_ids: int = 17, per_id: int = 2) -> str:
    folder = root / 'bounding_box_train'
    folder.mkdir(parents=True)
    for pid in range(1, num_ids + 1):
        for k in range(per_id):
            crop = np.full((128, 64, 3), pid * 10, dtype=np.uint8)
            mmcv.imwrite(crop, str(folder / f'{pid:04d}_c1s1_{k:06d}_01.jpg'))
    convert_market1501(str(root))
    return str(root)


def test_market_reid_samples_16_ids_x_4_crops(tmp_path: Path):
    """PK sampling (16 x 4 = 64 crops per batch) by mmdet ReIDDataset's
    triplet_sampler; the schedule counts 120 epochs in batches of 64."""
    cfg = _cfg('rdlr_reid_r50_market1501')
    assert cfg.model.reid.num_person_ids == 751
    loader = cfg.train_dataloader
    assert loader.batch_size == 1 and cfg.auto_scale_lr.base_batch_size == 1
    assert loader.sampler == dict(type='InfiniteSampler', shuffle=True)
    assert loader.dataset.triplet_sampler == dict(num_ids=16, ins_per_id=4)
    assert cfg.train_cfg.max_iters == 120 * 203
    assert cfg.param_scheduler[0].milestones == [40 * 203, 70 * 203]
    assert _cfg('rdlr_frcnn_market-reid_cuhk_sysu').model.reid_checkpoint == (
        f'work_dirs/rdlr_reid_r50_market1501/iter_{cfg.train_cfg.max_iters}.pth')
    root = _market_release(tmp_path / 'market')
    dataset = DATASETS.build(dict(loader.dataset, data_root=root))
    packed = dataset[0]
    assert packed['inputs'].shape == (64, 3, 256, 128)
    labels = packed['data_samples'].gt_label.label
    assert labels.shape == (64, )
    ids, counts = labels.unique(return_counts=True)
    assert len(ids) == 16 and counts.tolist() == [4] * 16
    # the re-ID model reads one batch of 64 from it
    patches, _, person_ids = MODELS.build(
        dict(
            cfg.model.reid,
            backbone=dict(type='ResNet', depth=18, out_indices=(3, )),
            in_channels=512)).unpack([packed['inputs']], [packed['data_samples']])
    assert patches.shape == (64, 3, 256, 128) and person_ids.equal(labels)


REFINEMENTS = {
    'rdlr_frcnn_cuhk_sysu': ('FasterRCNN', True, True, 'rdlr_reid_r50_cuhk_sysu'),
    'rdlr_frcnn_cls_cuhk_sysu': ('FasterRCNN', True, False, 'rdlr_reid_r50_cuhk_sysu'),
    'rdlr_frcnn_tri_cuhk_sysu': ('FasterRCNN', False, True, 'rdlr_reid_r50_cuhk_sysu'),
    'rdlr_retinanet_cuhk_sysu': ('RetinaNet', True, True, 'rdlr_reid_r50_cuhk_sysu'),
    'rdlr_frcnn_prw': ('FasterRCNN', True, True, 'rdlr_reid_r50_prw'),
    'rdlr_frcnn_market-reid_cuhk_sysu':
    ('FasterRCNN', False, True, 'rdlr_reid_r50_market1501/iter_24360'),
}


@pytest.mark.parametrize('name', sorted(REFINEMENTS))
def test_refinement_rows(name):
    detector, with_cls, with_tri, reid_config = REFINEMENTS[name]
    cfg = _cfg(name)
    model = cfg.model
    assert model.type == 'RDLRSearcher' and model.detector.type == detector
    assert (model.loss_reid_cls_weight == 1.0) is with_cls
    assert (model.loss_proxy_tri is not None) is with_tri
    if with_tri:
        assert (model.loss_proxy_tri.num_proxies, model.loss_proxy_tri.margin) == (2,
                                                                                   0.5)
    assert model.drop_det_losses == ('loss_bbox', ) and model.score_thr == 0.5
    if '/' not in reid_config:
        reid_config += '/epoch_120'
    assert model.reid_checkpoint == f'work_dirs/{reid_config}.pth'
    assert model.detector_checkpoint.startswith('work_dirs/rdlr_det_')
    assert model.reid.num_person_ids == (751 if 'market' in name else None)
    # Sec. 4.2 schedule
    assert cfg.optim_wrapper.optimizer == dict(
        type='SGD', lr=5e-5, momentum=0.9, weight_decay=5e-4)
    warmup, decay = cfg.param_scheduler
    assert (warmup.type, warmup.start_factor, warmup.end) == ('LinearLR', 1e-3, 500)
    assert decay.milestones == [10000] and decay.gamma == 0.1
    assert cfg.train_cfg.max_iters == 40000
    assert cfg.train_dataloader.batch_size == 1  # x 4 GPUs
    assert cfg.auto_scale_lr.base_batch_size == 4
    assert _step(cfg.train_dataloader.dataset.pipeline, 'Resize').scale == (1333, 800)


@pytest.mark.parametrize('name, detector, num_ids', [
    ('rdlr_baseline_frcnn_cuhk_sysu', 'FasterRCNN', None),
    ('rdlr_baseline_retinanet_cuhk_sysu', 'RetinaNet', None),
    ('rdlr_baseline_frcnn_prw', 'FasterRCNN', None),
    ('rdlr_baseline_frcnn_market-reid_cuhk_sysu', 'FasterRCNN', 751),
])
def test_baselines_join_the_parts_without_refinement(name, detector, num_ids):
    model = _cfg(name).model
    assert model.type == 'TwoStepSearcher' and model.detector.type == detector
    assert model.score_thr == 0.5 and model.reid.num_person_ids == num_ids


def test_table7_c4_refinement_parameters_within_one_percent():
    """buff.txt Table 7 lists RDLR at 56.21 M: a C4 Faster R-CNN (33.04 M)
    and the re-ID ResNet-50 (23.51 M) give 56.55 M (+0.6%); the identity
    classifier and the proxy table (a buffer) are not counted."""
    cfg = _cfg('table7/rdlr_frcnn_r50_c4_prw')
    assert cfg.model.detector.rpn_head.feat_channels == 1024
    # it refines the detector of table7/rdlr_det_r50_c4_prw
    pretraining = _cfg('table7/rdlr_det_r50_c4_prw')
    assert pretraining.model.to_dict() == cfg.model.detector.to_dict()
    assert cfg.model.detector_checkpoint == (
        f'work_dirs/rdlr_det_r50_c4_prw/epoch_{pretraining.train_cfg.max_epochs}.pth')
    model = MODELS.build(cfg.model)
    detector = sum(p.numel() for p in model.detector.parameters())
    reid = sum(p.numel() for name, p in model.reid.named_parameters()
               if not name.startswith('classifier'))
    assert detector == 33_035_409
    assert abs(detector + reid - PAPER_TABLE7_PARAMS) / PAPER_TABLE7_PARAMS < 0.01


def test_tiny_configs_share_the_tiny_parts():
    det = _cfg('rdlr_det_tiny_synthetic').model
    reid = _cfg('rdlr_reid_tiny_synthetic').model.reid
    refine = _cfg('rdlr_tiny_synthetic').model
    assert refine.detector == det
    assert refine.reid == reid
    assert refine.loss_proxy_tri.num_features == reid.in_channels == 128
    reid_cfg = _cfg('rdlr_reid_tiny_synthetic')
    crop = _step(reid_cfg.train_dataloader.dataset.pipeline, 'CropPersonPatch')
    assert {k: crop[k] for k in ('expand_ratio', 'size', 'mask')} == reid.crop_cfg
