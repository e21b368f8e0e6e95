"""Anchor scales from the training heights: the percentile and log-uniform
maths, the Resize factor, which configs are filled, and the errors."""
import json
import os.path as osp

import numpy as np
import pytest
from mmcv.transforms import RandomResize
from mmdet.datasets.transforms import Resize
from mmdet.registry import DATASETS
from mmengine.config import Config

from mmps.testing import get_config_file
from mmps.utils import fill_anchor_scales
from mmps.utils.anchor_scales import (height_resize_factor, input_frame_heights,
                                      parse_scales_spec, scales_from_heights)

CNNV = get_config_file('mgts/mgts_det_vgg16_cuhk_sysu.py')
TINY_DET = get_config_file('mgts/mgts_det_tiny_synthetic.py')
GENERATOR = 'model.rpn_head.anchor_generator'


def on_split(config: str, root: str) -> Config:
    """``config`` with its training split read from the synthetic ``root``."""
    cfg = Config.fromfile(config)
    cfg.train_dataloader.dataset.update(
        data_root=root + '/',
        ann_file='annotations/train.json',
        data_prefix=dict(img='images/'))
    return cfg


def test_scales_from_heights_by_hand():
    heights = np.arange(1., 102.)  # 1..101 px: p1 = 2, p99 = 100 (linear)
    (low, high), scales = scales_from_heights(heights, (1, 99), 3, base_size=16)
    assert (low, high) == pytest.approx((2., 100.))
    # 2 / 16, sqrt(2 * 100) / 16, 100 / 16: one constant factor apart
    assert scales == [0.125, 0.8839, 6.25]
    _, scales = scales_from_heights(heights, (0, 100), 2, base_size=10)
    assert scales == [0.1, 10.1]


@pytest.mark.parametrize(
    'resize, factor',
    [
        (dict(scale=(1500, 900), keep_ratio=True), 900 / 160),
        # the longer side binds: 240 * 211 / 240, 160 * 211 / 240 = 140.7 -> 141
        (dict(scale=(211, 200), keep_ratio=True), 141 / 160),
        (dict(scale=(100, 80), keep_ratio=False), 80 / 160),
        (dict(scale_factor=0.3, keep_ratio=False), 48 / 160),
    ])
def test_height_resize_factor(resize, factor):
    assert height_resize_factor([Resize(**resize)], 240, 160) == pytest.approx(factor)


@pytest.mark.parametrize('keep_ratio', [True, False])
def test_heights_equal_those_the_pipeline_produces(tiny_root, keep_ratio):
    """The heights read without decoding images are those of the boxes the
    real pipeline (images decoded, resized, flipped) hands the model."""
    cfg = on_split(TINY_DET, tiny_root)
    pipeline = cfg.train_dataloader.dataset.pipeline
    for step in pipeline:
        if step.type == 'Resize':
            step.update(scale=(200, 50), keep_ratio=keep_ratio)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    heights = input_frame_heights(dataset)
    packed = []
    for index in range(4):
        boxes = dataset[index]['data_samples'].gt_instances.bboxes.tensor
        packed += (boxes[:, 3] - boxes[:, 1]).tolist()
    assert heights[:len(packed)] == pytest.approx(packed, rel=1e-5)
    assert heights.max() <= 50


def test_fill_reads_the_training_split(tiny_root):
    """CNNv's request filled from the split: the heights of the annotation
    file scaled by the 1500x900 Resize, percentiles 1 and 99."""
    cfg = on_split(CNNV, tiny_root)
    filled = fill_anchor_scales(cfg)
    with open(osp.join(tiny_root, 'annotations', 'train.json')) as f:
        data = json.load(f)
    sizes = {img['id']: (img['width'], img['height']) for img in data['images']}
    heights = [
        ann['bbox'][3] *
        min(1500 / max(sizes[ann['image_id']]), 900 / min(sizes[ann['image_id']]))
        for ann in data['annotations']
    ]
    _, expected = scales_from_heights(np.array(heights), (1, 99), 3, 16)
    assert filled == {GENERATOR: expected}
    assert cfg.model.rpn_head.anchor_generator.scales == expected


def test_fill_touches_only_configs_that_ask():
    # no data there: a config that does not ask must not read it
    cfg = Config.fromfile(TINY_DET)
    cfg.train_dataloader.dataset.data_root = '/nonexistent/'
    before = cfg.to_dict()
    assert fill_anchor_scales(cfg) == {}
    assert cfg.to_dict() == before

    cfg = Config.fromfile(CNNV)
    before = cfg.to_dict()
    assert fill_anchor_scales(cfg, np.arange(1., 102.)) == {
        GENERATOR: [0.125, 0.8839, 6.25]
    }
    before['model']['rpn_head']['anchor_generator']['scales'] = [0.125, 0.8839, 6.25]
    assert cfg.to_dict() == before


@pytest.mark.parametrize('scales, message', [
    (dict(type='percentile'), "give a list of scales or dict\\(type='height_"),
    (dict(type='height_percentiles', num=1), 'num must be an int >= 2'),
    (dict(type='height_percentiles', percentiles=(99, 1)), '0 <= lo < hi <= 100'),
    (dict(type='height_percentiles', nums=3), 'give a list of scales'),
])
def test_malformed_requests_are_refused(scales, message):
    with pytest.raises(ValueError, match=message):
        parse_scales_spec(scales)


def test_fill_refuses_what_cannot_carry_or_cover_the_scales():
    cfg = Config.fromfile(CNNV)
    cfg.model.rpn_head.type = 'RPNHead'  # its checkpoints hold no scales
    with pytest.raises(ValueError, match='type=PersistentAnchorRPNHead, got RPNHead'):
        fill_anchor_scales(cfg, np.arange(1., 102.))
    cfg = Config.fromfile(CNNV)
    cfg.model.rpn_head.anchor_generator.strides = [8, 16]
    with pytest.raises(ValueError, match='single-level generator'):
        fill_anchor_scales(cfg, np.arange(1., 102.))


def test_random_resize_is_refused():
    transform = RandomResize(scale=(200, 100), ratio_range=(0.5, 1.5))
    with pytest.raises(ValueError, match='need a fixed Resize .* got RandomResize'):
        height_resize_factor([transform], 240, 160)
