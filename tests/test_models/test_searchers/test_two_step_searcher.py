import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import ReIDDataSample
from mmengine.structures import InstanceData

from mmps.models.searchers import TwoStepSearcher, build_segmentor
from mmps.models.utils.foreground_separation import (box_masks, instance_masks,
                                                     paint_instance_map)
from mmps.testing import make_det_sample
from mmps.testing.two_step_cases import tiny_two_step_cfg

IMG_H, IMG_W = 48, 40
SCALE = 0.5  # input frame / original frame


def build(init: bool = True, **kwargs) -> TwoStepSearcher:
    torch.manual_seed(0)
    model = MODELS.build(tiny_two_step_cfg(**kwargs))
    if init:
        model.init_weights()
    return model.eval()


def stub_detector(**kwargs) -> dict:
    return dict(type='StubDetector', **kwargs)


def images(num: int = 2):
    torch.manual_seed(1)
    return [
        torch.randint(0, 256, (3, IMG_H, IMG_W), dtype=torch.uint8) for _ in range(num)
    ]


def gt_sample(gt_original, queries=None, **kwargs):
    """A test sample: GT boxes in the original frame (test pipelines load
    them after Resize), query boxes in the original frame."""
    sample = make_det_sample((IMG_H, IMG_W), SCALE, query_bboxes=queries, **kwargs)
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor(gt_original, dtype=torch.float32),
        labels=torch.zeros(len(gt_original), dtype=torch.long),
        person_ids=torch.arange(len(gt_original)))
    return sample


GT = [[[10., 8., 40., 80.], [44., 20., 70., 90.]], [[0., 0., 30., 60.]]]
QUERIES = [[[44., 20., 70., 90.], [12., 10., 38., 76.]], None]


def test_predict_gt_boxes_and_queries_in_one_pass():
    model = build()
    calls = []
    embed = model.reid.embed
    model.reid.embed = lambda p, m: calls.append(len(p)) or embed(p, m)
    samples = [gt_sample(GT[0], QUERIES[0], img_id=0), gt_sample(GT[1], img_id=1)]
    with torch.no_grad():
        out = model.predict(images(), samples)
    assert calls == [5]  # 3 gallery + 2 query boxes, one batched pass
    for sample, gt in zip(out, GT):
        pred = sample.pred_instances
        assert torch.equal(pred.bboxes, torch.tensor(gt))  # original frame
        assert torch.equal(pred.scores, torch.ones(len(gt)))
        assert torch.equal(pred.labels, torch.zeros(len(gt), dtype=torch.long))
        assert torch.allclose(pred.embeddings.norm(dim=1), torch.ones(len(gt)))
    query = out[0].pred_query_instances
    assert torch.equal(query.bboxes, torch.tensor(QUERIES[0]))  # kept, in order
    assert torch.equal(query.query_indices, torch.tensor([0, 1]))
    assert 'pred_query_instances' not in out[1]
    # the same box embeds the same way as gallery and as query
    assert torch.allclose(
        query.embeddings[0], out[0].pred_instances.embeddings[1], atol=1e-6)


def test_predict_query_runs_no_detection():
    model = build(detector=stub_detector(raise_on_predict=True))
    samples = [make_det_sample((IMG_H, IMG_W), SCALE, query_bboxes=QUERIES[0])]
    with pytest.raises(RuntimeError, match='StubDetector.predict was called'):
        model.predict(images(1), samples)
    with torch.no_grad():
        out = model.predict_query(images(1), samples)
    query = out[0].pred_query_instances
    assert torch.equal(query.bboxes, torch.tensor(QUERIES[0]))
    assert query.embeddings.shape == (2, 8)
    assert torch.allclose(query.embeddings.norm(dim=1), torch.ones(2))
    assert 'pred_instances' not in out[0]


def test_predict_with_detector():
    boxes = [[5., 4., 20., 40.], [20., 10., 35., 45.], [1., 1., 9., 9.]]
    model = build(detector=stub_detector(boxes=boxes, scores=[0.9, 0.5, 0.3]))
    samples = [make_det_sample((IMG_H, IMG_W), SCALE, flip=False)]
    with torch.no_grad():
        out = model.predict(images(1), samples)
    pred = out[0].pred_instances
    assert torch.equal(pred.scores, torch.tensor([0.9, 0.5]))  # score_thr 0.5
    assert torch.equal(pred.bboxes, torch.tensor(boxes[:2]) / SCALE)
    # the detections embed as the same boxes given as queries
    queries = make_det_sample((IMG_H, IMG_W), SCALE, query_bboxes=pred.bboxes)
    with torch.no_grad():
        query = model.predict_query(images(1), [queries])[0].pred_query_instances
    assert torch.allclose(query.embeddings, pred.embeddings, atol=1e-6)


def test_crop_batch_chunks_the_same():
    samples = [gt_sample(GT[0], QUERIES[0]), gt_sample(GT[1])]
    chunked_model = build(crop_batch=2)
    calls = []
    embed = chunked_model.reid.embed
    chunked_model.reid.embed = lambda p, m: calls.append(len(p)) or embed(p, m)
    with torch.no_grad():
        whole = build().predict(images(), samples)
        chunked = chunked_model.predict(images(), [s.clone() for s in samples])
    assert calls == [2, 2, 1]  # 5 boxes, 2 patches per forward
    for a, b in zip(whole, chunked):
        assert torch.allclose(
            a.pred_instances.embeddings, b.pred_instances.embeddings, atol=1e-6)


def test_no_boxes_anywhere():
    model = build(detector=stub_detector(boxes=torch.zeros(0, 4), scores=[]))
    with torch.no_grad():
        out = model.predict(images(1), [make_det_sample((IMG_H, IMG_W), SCALE)])
    assert out[0].pred_instances.embeddings.shape == (0, 8)


def test_bad_inputs():
    model = build()
    plain = make_det_sample((IMG_H, IMG_W), SCALE)
    with pytest.raises(
            ValueError,
            match=r"detector=None embeds each image's GT boxes "
            r'but .* has none: compose a searcher with a detector'):
        model.predict(images(1), [plain])
    degenerate = make_det_sample((IMG_H, IMG_W),
                                 SCALE,
                                 query_bboxes=[[10., 5., 10., 30.]])
    with pytest.raises(
            ValueError,
            match=r'query box \[10.0, 5.0, 10.0, 30.0\] .* is '
            'degenerate: a query box needs finite x1 < x2 and y1 < y2'):
        model.predict_query(images(1), [degenerate])
    with pytest.raises(TypeError, match='reid must build a BaseCropReID network'):
        TwoStepSearcher(reid=stub_detector())
    with pytest.raises(ValueError, match='crop_batch must be >= 1'):
        build(crop_batch=0)


def packed_crops(num: int = 4):
    samples = []
    for person_id in range(num):
        sample = ReIDDataSample()
        sample.set_gt_label(person_id % 3 - 1)
        samples.append(sample)
    return [torch.rand(3, 16, 8) * 255 for _ in range(num)], samples


def test_loss_on_crops_without_detector():
    model = build().train()
    patches, samples = packed_crops()
    losses = model(patches, samples, mode='loss')
    assert set(losses) == {'loss_oim'} and losses['loss_oim'].requires_grad
    with pytest.raises(
            ValueError,
            match='TwoStepSearcher trains on person crops: use a '
            'PersonCropDataset'):
        model(images(1), [gt_sample(GT[1])], mode='loss')
    with pytest.raises(
            ValueError, match=r'trains only its re-ID step \(detector=None\)'):
        build(detector=stub_detector()).loss(patches, samples)


def test_box_masks():
    model = build(crop_cfg=dict(expand_ratio=1.2, size=(16, 8), mask='box'))
    boxes = [torch.tensor([[5., 4., 20., 40.]]), torch.zeros(0, 4)]
    masks = model.crop_masks(images(), boxes, [None, None])
    assert torch.equal(masks, box_masks((IMG_H, IMG_W), boxes[0], (16, 8), 1.2))


@pytest.mark.parametrize('flip', [False, True])
def test_instance_masks_from_the_sample_map(flip):
    model = build(crop_cfg=dict(expand_ratio=1.3, size=(16, 8), mask='instance'))
    instance_map = torch.zeros(IMG_H * 2, IMG_W * 2, dtype=torch.int32)
    instance_map[10:70, 12:34] = 1
    instance_map[20:90, 30:70] = 2
    sample = make_det_sample((IMG_H, IMG_W), SCALE, flip=flip)
    sample.instance_map = instance_map
    original = torch.tensor([[10., 8., 40., 80.], [44., 20., 70., 90.]])
    input_boxes = original * SCALE
    if flip:
        input_boxes = torch.stack([
            IMG_W - input_boxes[:, 2], input_boxes[:, 1], IMG_W - input_boxes[:, 0],
            input_boxes[:, 3]
        ], 1)
    masks = model.crop_masks(images(1), [input_boxes], [sample])
    expected = instance_masks(instance_map, original, (16, 8), 1.3)
    assert torch.equal(masks, expected.flip(-1) if flip else expected)
    assert model.mask_fallbacks == 0
    sample.instance_map = torch.zeros_like(instance_map)  # the segmentor missed both
    model.crop_masks(images(1), [input_boxes], [sample])
    assert model.mask_fallbacks == 2
    with pytest.raises(
            ValueError,
            match="crop_cfg.mask='instance' needs an instance map: "
            'add LoadInstanceMap to the test pipeline or configure '
            'model.segmentor'):
        model.crop_masks(images(1), [input_boxes], [make_det_sample((IMG_H, IMG_W))])


def test_online_segmentor_map():
    model = build(
        init=False,  # the segmentor's weights would come from its checkpoint
        crop_cfg=dict(expand_ratio=1.0, size=(16, 8), mask='instance'),
        segmentor=dict(
            config='mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py', score_thr=0.5))
    masks = torch.zeros(3, IMG_H, IMG_W, dtype=torch.bool)
    masks[0, 5:30, 5:20] = masks[1, 10:40, 10:30] = masks[2, 0:10, 0:10] = True
    pred = InstanceData(
        masks=masks,
        scores=torch.tensor([0.9, 0.6, 0.95]),
        labels=torch.tensor([0, 0, 2]))  # the third is a car

    def predict(inputs, samples, rescale=True):
        assert rescale and samples[0].metainfo['ori_shape'] == (IMG_H, IMG_W)
        samples[0].pred_instances = pred
        return samples

    model.segmentor.predict = predict
    instance_map = model.segment(images(1)[0].float())
    assert torch.equal(instance_map, paint_instance_map(masks[:2], pred.scores[:2],
                                                        0.5))
    boxes = torch.tensor([[5., 5., 20., 30.]])
    assert torch.equal(
        model.crop_masks(images(1), [boxes], [make_det_sample((IMG_H, IMG_W))]),
        instance_masks(instance_map, boxes, (16, 8), 1.0))


def test_segmentor_errors():
    with pytest.raises(
            ValueError,
            match=r"segmentor person_class=2 is 'car', not "
            r"'person': set person_class to the index of 'person' \(0\)"):
        build_segmentor(
            dict(
                config='mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py', person_class=2))
    with pytest.raises(
            ValueError,
            match='the segmentor StubDetector predicts no masks: '
            'use an instance-segmentation config'):
        build_segmentor(dict(model=stub_detector()))
    with pytest.raises(ValueError, match='segmentor takes config .* or model'):
        build_segmentor(dict(score_thr=0.5))
