"""mmps.utils.benchmark: timing calls, timing a model, the tables, forced
detections, stage times and peak memory."""
import copy
import time

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config, ConfigDict
from mmengine.model import BaseDataPreprocessor
from mmengine.structures import InstanceData

from mmps.testing import get_config_file, make_det_sample, random_person_boxes
from mmps.utils.benchmark import (InferenceTiming, StageProfiler, force_detections,
                                  format_stage_table, format_timing_table, model_bytes,
                                  profile_model_stages, timed, timed_with_peak)


def test_timed_returns_result_and_seconds():
    result, seconds = timed(lambda: sum(range(1000)))
    assert result == 499500 and 0 <= seconds < 1


def make_timing(name, gallery, query=(), detections=None):
    return InferenceTiming(name, torch.nn.Identity(), 300, list(gallery), list(query),
                           detections or [10] * len(gallery))


def test_table_gives_means_minima_and_ratios():
    ref = make_timing('ref (reference)', [2.0, 4.0], detections=[100, 100])
    model = make_timing('model', [1.0, 2.0], [0.25, 0.75], [3, 4])
    lines = format_timing_table([ref, model], ref, 8).splitlines()
    assert lines[0].split() == [
        'model', 'mode', 'mean', 'time', 'min', 'x', 'ref', 's/img', 'proposals',
        'dets/img'
    ]
    assert lines[1].split() == [
        'ref', '(reference)', 'gallery', '3.0000', 's/img', '2.0000', '1.000', '300',
        '100.0'
    ]
    assert lines[2].split() == [
        'model', 'gallery', '1.5000', 's/img', '1.0000', '0.500', '300', '3.5'
    ]
    assert lines[3].split() == [
        'model', 'query', '(8', 'boxes)', '0.5000', 's/box', '0.2500', '0.167', '-', '-'
    ]
    # without a reference the ratio column is empty
    assert format_timing_table([model], None, 8).splitlines()[1].split()[5] == '-'


def test_run_times_gallery_and_query_mode():
    cfg = Config.fromfile(get_config_file('oim/oim_tiny_synthetic.py'))
    cfg.model.roi_head.reid_head.loss_reid.num_person_ids = 5
    cfg.model.test_cfg.rcnn.update(score_thr=0.0, max_per_img=4)
    timing = InferenceTiming.build('tiny', cfg)
    assert not timing.model.training and timing.rpn_proposals > 0
    image = torch.randint(0, 256, (3, 64, 96), dtype=torch.uint8)
    boxes = random_person_boxes(3, 64, 96, torch.Generator().manual_seed(0))
    with torch.inference_mode():
        timing.run(
            image,
            make_det_sample((64, 96)),
            make_det_sample((64, 96), query_bboxes=boxes),
            record=False)
        assert timing.gallery == [] and timing.query == []
        timing.run(image, make_det_sample((64, 96)),
                   make_det_sample((64, 96), query_bboxes=boxes))
    assert len(timing.gallery) == len(timing.query) == 1
    assert timing.detections == [4]
    # a model that drops a query box is caught
    short = make_det_sample((64, 96))
    short.pred_query_instances = InstanceData(embeddings=torch.zeros(1, 64))
    timing.model.predict_query = lambda inputs, samples: [short]
    with pytest.raises(
            RuntimeError, match='tiny: predict_query did not '
            'embed the 3 query boxes'):
        with torch.inference_mode():
            timing.run(image, make_det_sample((64, 96)),
                       make_det_sample((64, 96), query_bboxes=boxes))


# A RetinaNet-like one-stage detector, small enough for a CPU test.
TINY_RETINANET = dict(
    type='RetinaNet',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNet',
        depth=18,
        out_indices=(1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN'),
        init_cfg=None),
    neck=dict(
        type='FPN',
        in_channels=[128, 256, 512],
        out_channels=32,
        add_extra_convs='on_output',
        num_outs=3),
    bbox_head=dict(
        type='RetinaHead',
        num_classes=1,
        in_channels=32,
        stacked_convs=1,
        feat_channels=32,
        anchor_generator=dict(
            type='AnchorGenerator',
            octave_base_scale=2,
            scales_per_octave=1,
            ratios=[2.0],
            strides=[8, 16, 32]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[0.0] * 4,
            target_stds=[0.1, 0.1, 0.2, 0.2]),
        loss_cls=dict(type='FocalLoss', use_sigmoid=True),
        loss_bbox=dict(type='L1Loss')),
    test_cfg=dict(
        nms_pre=1000,
        min_bbox_size=0,
        score_thr=0.05,
        nms=dict(type='nms', iou_threshold=0.5),
        max_per_img=100))


def tiny_oim_cfg():
    """The tiny OIM config; 10 proposals keep its RoI head cheap."""
    cfg = Config.fromfile(get_config_file('oim/oim_tiny_synthetic.py'))
    cfg.model.roi_head.reid_head.loss_reid.num_person_ids = 5
    cfg.model.test_cfg.rpn.max_per_img = 10
    return cfg


def test_force_detections_two_stage_and_one_stage():
    cfg = tiny_oim_cfg()
    assert force_detections(cfg.model, 6) == ['model.test_cfg.rcnn']
    assert (cfg.model.test_cfg.rcnn.score_thr, cfg.model.test_cfg.rcnn.max_per_img) == \
        (0.0, 6)
    assert cfg.model.test_cfg.rpn.max_per_img == 10  # the RPN is left alone
    model = ConfigDict(copy.deepcopy(TINY_RETINANET))
    assert force_detections(model, 6) == ['model.test_cfg']
    assert (model.test_cfg.score_thr, model.test_cfg.max_per_img) == (0.0, 6)
    assert model.test_cfg.nms_pre == 1000


@pytest.mark.parametrize('detector, edited', [
    (dict(
        type='FasterRCNN',
        test_cfg=dict(
            rpn=dict(max_per_img=300), rcnn=dict(
                score_thr=0.05, max_per_img=100))), 'model.detector.test_cfg.rcnn'),
    (dict(type='RetinaNet', test_cfg=dict(score_thr=0.05,
                                          max_per_img=100)), 'model.detector.test_cfg'),
])
def test_force_detections_two_step_searcher(detector, edited):
    """A config with model.detector (a two-step searcher): its detector's
    test settings, two-stage or one-stage, and the searcher's threshold."""
    model = ConfigDict(
        type='TwoStepSearcher', reid=dict(type='AnyReID'), detector=detector)
    assert force_detections(model, 4) == [edited, 'model.score_thr']
    settings = model.detector.test_cfg.get('rcnn', model.detector.test_cfg)
    assert (settings.score_thr, settings.max_per_img) == (0.0, 4)
    assert model.score_thr == 0.0


@pytest.mark.parametrize('model, num, message', [
    (dict(type='ResNet', depth=18), 5, 'cannot force detections: model has no '
     r'test_cfg.rcnn \(two-stage\), no test_cfg with score_thr/max_per_img '
     r'\(one-stage\) and no detector.test_cfg \(two-step searcher\)'),
    (dict(type='TwoStepSearcher', detector=dict(type='X', test_cfg=dict(rpn=dict()))),
     5, 'cannot force detections: model.detector has no test_cfg.rcnn'),
    (dict(type='TwoStepSearcher', detector=None), 5,
     'model.detector is None .*benchmark a config with a detector'),
    (dict(test_cfg=dict(rpn=dict(max_per_img=3), rcnn=dict())), 5,
     r'cannot force 5 detections: model.test_cfg.rpn keeps 3 proposals'),
    (dict(test_cfg=dict(score_thr=0.1)), 0, 'must be >= 1, got 0'),
])
def test_force_detections_errors(model, num, message):
    with pytest.raises(ValueError, match=message):
        force_detections(ConfigDict(model), num)


def test_forced_detections_reach_the_output():
    """Both kinds of model keep exactly N boxes once forced."""
    image = torch.randint(0, 256, (3, 64, 96), dtype=torch.uint8)
    retina = Config(dict(model=copy.deepcopy(TINY_RETINANET)))
    oim = tiny_oim_cfg()
    for cfg in (retina, oim):
        force_detections(cfg.model, 5)
        timing = InferenceTiming.build('forced', cfg)
        with torch.inference_mode():
            timing.run(image, make_det_sample((64, 96)), None)
        assert timing.detections == [5]


class FakeDetector(nn.Module):

    def __init__(self, inner=None):
        super().__init__()
        self.inner = inner

    def predict(self, inputs, samples):
        time.sleep(0.02)
        if self.inner is not None:
            self.inner.embed(inputs)
        return samples


class FakeReID(nn.Module):

    def embed(self, patches, masks=None):
        time.sleep(0.01)
        return patches


class FakeSearcher(nn.Module):
    """Calls its parts as a two-step searcher does."""

    def __init__(self):
        super().__init__()
        self.data_preprocessor = BaseDataPreprocessor()
        self.detector = FakeDetector()
        self.segmentor = None
        self.reid = FakeReID()

    def predict(self, inputs, samples):
        self.detector.predict(inputs, samples)
        time.sleep(0.005)  # cropping
        return self.reid.embed(inputs)


def test_profiler_times_the_parts_of_a_two_step_searcher():
    model = FakeSearcher()
    profiler, rest = profile_model_stages(model)
    assert rest == 'crops+rest' and profiler.labels == [
        'preprocess', 'detector', 're-ID'
    ]
    model.data_preprocessor(dict(inputs=torch.zeros(1)), False)
    model.predict(torch.zeros(1), [])
    stages = profiler.collect()
    assert 0.02 <= stages['detector'] < 0.5 and 0.01 <= stages['re-ID'] < 0.5
    assert stages['preprocess'] < 0.01
    assert profiler.collect() == dict.fromkeys(profiler.labels, 0.0)
    # a stage called inside another stage counts in the outer one only
    inner = FakeReID()
    outer = FakeDetector(inner)
    nested = StageProfiler()
    nested.wrap('outer', outer, 'predict')
    nested.wrap('inner', inner, 'embed')
    outer.predict(None, [])
    stages = nested.collect()
    assert stages['inner'] == 0.0 and stages['outer'] >= 0.03
    inner.embed(None)
    assert nested.collect()['inner'] >= 0.01


def test_run_profiles_the_stages_of_a_detector():
    timing = InferenceTiming.build('tiny', tiny_oim_cfg(), profile_stages=True)
    image = torch.randint(0, 256, (3, 64, 96), dtype=torch.uint8)
    boxes = random_person_boxes(2, 64, 96, torch.Generator().manual_seed(0))
    with torch.inference_mode():
        for record in (False, True):
            timing.run(
                image,
                make_det_sample((64, 96)),
                make_det_sample((64, 96), query_bboxes=boxes),
                record=record)
    assert timing.rest_label == 'heads'
    assert list(timing.stages) == ['gallery', 'query']
    assert len(timing.stages['gallery']) == 1  # the warm-up call is dropped
    for mode, times in (('gallery', timing.gallery), ('query', timing.query)):
        for call, total in zip(timing.stages[mode], times):
            assert list(call) == ['preprocess', 'backbone+neck', 'heads']
            assert call['backbone+neck'] > 0 and call['heads'] > 0
            per_call = total * (2 if mode == 'query' else 1)
            assert sum(call.values()) == pytest.approx(per_call, rel=1e-6)
    assert timing.peak_memory == {}  # CPU
    table = format_stage_table([timing, make_timing('plain', [1.0])]).splitlines()
    assert table[0].split() == ['model', 'mode', 'stage', 'mean', 'time', 'share']
    assert [row.split()[:3]
            for row in table[1:4]] == [['tiny', 'gallery', 'preprocess'],
                                       ['tiny', 'gallery', 'backbone+neck'],
                                       ['tiny', 'gallery', 'heads']]
    shares = [float(row.split()[-1][:-1]) for row in table[1:4]]
    assert sum(shares) == pytest.approx(100, abs=0.2)
    assert table[-1].split() == ['plain', '-', 'not', 'profiled', '-', '-']


def test_peak_cuda_memory_is_reset_per_call(monkeypatch):
    """The CUDA statistics, faked: each call's peak is what it allocated
    over what was allocated before, plus the model's own bytes."""
    assert timed_with_peak(lambda: 1)[2] is None  # CPU
    peaks = iter([300, 250, 120, 500])
    calls = []
    monkeypatch.setattr(torch.cuda, 'synchronize', lambda: None)
    monkeypatch.setattr(torch.cuda, 'memory_allocated', lambda: 100)
    monkeypatch.setattr(torch.cuda, 'reset_peak_memory_stats', lambda: calls.append(1))
    monkeypatch.setattr(torch.cuda, 'max_memory_allocated', lambda: next(peaks))
    assert timed_with_peak(lambda: 'x', 'cuda')[::2] == ('x', 200)
    timing = InferenceTiming.build('tiny', tiny_oim_cfg())
    image = torch.randint(0, 256, (3, 64, 96), dtype=torch.uint8)
    boxes = random_person_boxes(2, 64, 96, torch.Generator().manual_seed(0))
    with torch.inference_mode():
        timing.run(
            image,
            make_det_sample((64, 96)),
            make_det_sample((64, 96), query_bboxes=boxes),
            device='cuda')
        timing.run(image, make_det_sample((64, 96)), None, device='cuda')
    weights = model_bytes(timing.model)
    # the state dict plus the preprocessor's mean and std (not saved)
    assert weights == sum(v.numel() * v.element_size()
                          for v in timing.model.state_dict().values()) + 2 * 3 * 4
    assert timing.peak_memory == {'gallery': weights + 400, 'query': weights + 20}
    assert len(calls) == 4  # reset before every call
    lines = format_timing_table([timing], None, 2, show_memory=True).splitlines()
    assert lines[0].split()[-2:] == ['peak', 'MiB']
    assert lines[1].split()[-1] == f'{(weights + 400) / 2**20:.1f}'
    cpu = make_timing('cpu', [1.0])
    assert format_timing_table([cpu], None, 2,
                               show_memory=True).splitlines()[1].split()[-1] == 'n/a'
