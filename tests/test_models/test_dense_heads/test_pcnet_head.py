"""Tests of PCNetHead: every table variant trains one step and predicts in
both modes; query selection, f' through NMS, f = f' for boxes under one
cell, and the errors on bad inputs, against hand computations."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmdet.structures.bbox import bbox_overlaps

from mmps.testing.pcnet_models import PCNET_HEAD_VARIANTS, tiny_pcnet_cfg
from ...conftest import tiny_sample

pytestmark = pytest.mark.usefixtures('one_torch_thread')

# the losses each row adds to focal, smooth L1 and OIM
EXTRA_LOSSES = dict(
    full={'loss_dist', 'loss_tri'},
    cpp=set(),
    cpp_dist={'loss_dist'},
    cpp_dist_csa={'loss_dist'},
    conv3x3={'loss_tri'},
    plain=set(),
    detfirst_reg={'loss_dist', 'loss_tri'},
    detfirst_cls={'loss_dist', 'loss_tri'},
    parallel=set(),
    parallel_cpp={'loss_dist'},
    roialign=set(),
    light={'loss_dist', 'loss_tri'},
    dagger={'loss_dist', 'loss_tri'},
)
# query boxes in the original frame (twice the input frame)
QUERIES = [[8., 8., 60., 120.], [100., 16., 160., 116.]]


def build(variant='full', **head):
    cfg = tiny_pcnet_cfg(variant)
    cfg.bbox_head.update(head)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def with_queries(batch, queries):
    """The batch in test mode, the first image carrying ``queries``."""
    samples = [
        tiny_sample(s.gt_instances.bboxes, s.gt_instances.person_ids, query_bboxes=q)
        for s, q in zip(batch['data_samples'], (queries, []))
    ]
    return dict(inputs=batch['inputs'], data_samples=samples)


def hand_rows(head, x, img_id=0):
    """Per-anchor re-ID rows, decoded boxes and priors of one image, by
    hand (single-anchor heads)."""
    cls_scores, bbox_preds, reid_feats, _ = head(x)
    sizes = [f.shape[-2:] for f in cls_scores]
    priors = torch.cat(head.prior_generator.grid_priors(sizes, device='cpu'))
    rows = torch.cat(
        [f[img_id].permute(1, 2, 0).reshape(-1, f.shape[1]) for f in reid_feats])
    deltas = torch.cat([b[img_id].permute(1, 2, 0).reshape(-1, 4) for b in bbox_preds])
    return rows, priors, deltas


def spy_embed(head, monkeypatch):
    """Record the f' rows and boxes that reach ``head._embed``."""
    seen = {}
    original = head._embed

    def spy(anchor_feats, boxes, img_inds, reid_feats):
        seen.update(anchor_feats=anchor_feats.clone(), boxes=boxes.clone())
        return original(anchor_feats, boxes, img_inds, reid_feats)

    monkeypatch.setattr(head, '_embed', spy)
    return seen


@pytest.mark.parametrize('variant', sorted(PCNET_HEAD_VARIANTS))
def test_variant_trains_and_predicts_in_both_modes(variant, batch):
    model = build(variant).train()
    head = model.bbox_head
    data = model.data_preprocessor(batch, training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_oim'} | EXTRA_LOSSES[variant]
    total, _ = model.parse_losses(losses)
    assert math.isfinite(total.item())
    total.backward()
    # the labelled persons 0, 1 and 3 entered the lookup table, 2 did not
    lut_norms = head.loss_reid.lut.norm(dim=1)
    assert torch.allclose(lut_norms[[0, 1, 3]], torch.ones(3), atol=1e-5)
    assert lut_norms[2] == 0
    if 'loss_dist' in losses:
        grad = head.cpp.offset_out.weight.grad
        assert grad is not None and grad.abs().sum() > 0

    model.eval()
    dim = head.reid_channels
    data = model.data_preprocessor(with_queries(batch, QUERIES), training=False)
    with torch.no_grad():
        samples = model.predict(data['inputs'], data['data_samples'])
    for sample in samples:
        pred = sample.pred_instances
        assert 0 < len(pred.bboxes) <= 10
        assert pred.embeddings.shape == (len(pred.bboxes), dim)
        assert torch.allclose(
            pred.embeddings.norm(dim=1), torch.ones(len(pred)), atol=1e-5)
    query = samples[0].pred_query_instances
    assert torch.equal(query.bboxes, torch.tensor(QUERIES))
    assert query.embeddings.shape == (2, dim)
    assert torch.allclose(query.embeddings.norm(dim=1), torch.ones(2), atol=1e-5)
    assert samples[1].pred_query_instances.embeddings.shape == (0, dim)
    # query mode alone, boxes reversed: the same embeddings, in box order
    data = model.data_preprocessor(with_queries(batch, QUERIES[::-1]), training=False)
    with torch.no_grad():
        reversed_ = model.predict_query(data['inputs'], data['data_samples'])
    assert 'pred_instances' not in reversed_[0]
    assert torch.allclose(
        reversed_[0].pred_query_instances.embeddings,
        query.embeddings.flip(0),
        atol=1e-5)


@pytest.mark.parametrize('query_match', ['predicted', 'anchor'])
def test_query_f_prime_is_mean_of_matching_anchors(query_match, batch, monkeypatch):
    model = build(query_match=query_match).eval()
    head = model.bbox_head
    data = model.data_preprocessor(batch, training=False)
    metas = [s.metainfo for s in data['data_samples']]
    with torch.no_grad():
        x = model.extract_feat(data['inputs'])
        rows, priors, deltas = hand_rows(head, x)
        decoded = head.bbox_coder.decode(
            priors, deltas, max_shape=metas[0]['img_shape'])
        ref = decoded if query_match == 'predicted' else priors
        # a reference box itself (IoU 1) and a box matching nothing well
        boxes = torch.stack([ref[40], torch.tensor([30., 20., 50., 50.])])
        seen = spy_embed(head, monkeypatch)
        head.embed_boxes(x, [boxes, torch.zeros(0, 4)], metas)
    selected = []
    for box, f_prime in zip(boxes, seen['anchor_feats']):
        ious = bbox_overlaps(box[None], ref)[0]
        chosen = sorted(
            set((ious >= 0.5).nonzero().flatten().tolist())
            | {int(ious.argmax())})
        assert torch.allclose(f_prime, rows[chosen].mean(0), atol=1e-5)
        selected.append(len(chosen))
    assert selected[0] >= 1
    if query_match == 'anchor':
        # the anchors one stride-8 cell above and below overlap by 0.7
        assert selected[0] >= 3


@pytest.mark.parametrize('cluster_iou', [None, 0.6])
def test_f_prime_rides_through_nms(cluster_iou, batch, monkeypatch):
    model = build(gallery_cluster_iou=cluster_iou).eval()
    head = model.bbox_head
    data = model.data_preprocessor(batch, training=False)
    with torch.no_grad():
        x = model.extract_feat(data['inputs'])
        rows, priors, deltas = hand_rows(head, x)
        decoded = head.bbox_coder.decode(
            priors, deltas, max_shape=data['data_samples'][0].metainfo['img_shape'])
        seen = spy_embed(head, monkeypatch)
        results = head.predict(x, data['data_samples'][:1], rescale=False)
    assert len(results[0]) == len(seen['anchor_feats']) > 0
    assert torch.equal(results[0].bboxes, seen['boxes'])
    # every anchor is a candidate (score_thr 0, nms_pre 100 > anchors/level)
    for box, f_prime in zip(seen['boxes'], seen['anchor_feats']):
        ious = bbox_overlaps(box[None], decoded)[0]
        if cluster_iou is None:
            own = int((decoded - box).abs().sum(1).argmin())
            assert torch.allclose(f_prime, rows[own], atol=1e-6)
        else:
            assert torch.allclose(f_prime, rows[ious >= cluster_iou].mean(0), atol=1e-5)


def test_boxes_under_one_stride8_cell_give_f_equal_f_prime(batch, monkeypatch):
    model = build().eval()
    head = model.bbox_head
    outputs = {}
    original = head.csa.forward

    def spy(anchor_feats, *args):
        out = original(anchor_feats, *args)
        outputs.update(f_prime=anchor_feats.clone(), f=out.clone())
        return out

    monkeypatch.setattr(head.csa, 'forward', spy)
    data = model.data_preprocessor(batch, training=False)
    # inside the cell [0, 8)^2 but around no cell centre (4, 4)
    boxes = torch.tensor([[0.5, 0.5, 3.5, 3.5], [4.5, 4.5, 7.5, 7.5]])
    with torch.no_grad():
        x = model.extract_feat(data['inputs'])
        embeddings = head.embed_boxes(x, [boxes, torch.zeros(0, 4)],
                                      [s.metainfo for s in data['data_samples']])
    assert torch.equal(outputs['f'], outputs['f_prime'])
    expected = F.normalize(head.embed_norm(outputs['f_prime']), dim=1)
    assert torch.allclose(embeddings[0], expected, atol=1e-6)


def test_one_and_no_positive_anchor_train(batch):
    model = build().train()
    samples = [
        tiny_sample([[4., 4., 30., 60.]], [2]),  # one person: few positives
        tiny_sample(torch.zeros(0, 4), []),  # no person
    ]
    data = model.data_preprocessor(
        dict(inputs=batch['inputs'], data_samples=samples), training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    total, _ = model.parse_losses(losses)
    assert math.isfinite(total.item())
    total.backward()


# batches in which an optional part has nothing to work on: no cell centre
# inside any box (CSA), no labelled positive (L_tri), no person at all
AWKWARD_BATCHES = dict(
    boxes_under_one_cell=([[0.5, 0.5, 3.5, 3.5]], [0], [[4.5, 4.5, 7.5, 7.5]], [1]),
    unlabelled=([[4., 4., 30., 60.]], [-1], [[10., 6., 40., 62.]], [-1]),
    no_person=(torch.zeros(0, 4), [], torch.zeros(0, 4), []),
)


@pytest.mark.parametrize('variant', ['full', 'roialign'])
@pytest.mark.parametrize('case', sorted(AWKWARD_BATCHES))
def test_every_parameter_gets_a_grad_on_awkward_batches(variant, case, batch):
    """DDP without find_unused_parameters needs a gradient, zero or not, for
    every parameter at every step."""
    boxes0, ids0, boxes1, ids1 = AWKWARD_BATCHES[case]
    model = build(variant).train()
    samples = [tiny_sample(boxes0, ids0), tiny_sample(boxes1, ids1)]
    data = model.data_preprocessor(
        dict(inputs=batch['inputs'], data_samples=samples), training=True)
    total, _ = model.parse_losses(model.loss(data['inputs'], data['data_samples']))
    assert math.isfinite(total.item())
    total.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing, missing


def test_levels_must_match_strides(batch):
    model = build().eval()
    data = model.data_preprocessor(batch, training=False)
    x = model.extract_feat(data['inputs'])
    with pytest.raises(
            ValueError,
            match='got 2 feature levels but its anchor_generator '
            'has 3 strides'):
        model.bbox_head(x[:2])


def test_stride_mismatch_is_named(batch):
    model = build().eval()
    data = model.data_preprocessor(batch, training=False)
    for sample in data['data_samples']:
        sample.set_metainfo(dict(batch_input_shape=(128, 192)))
    with pytest.raises(ValueError, match='level 0 of the pyramid, read by PCNetHead'):
        model.predict(data['inputs'], data['data_samples'])


def test_missing_person_ids_is_named(batch):
    model = build().train()
    data = model.data_preprocessor(batch, training=True)
    for sample in data['data_samples']:
        del sample.gt_instances.person_ids
    with pytest.raises(ValueError, match='needs gt_instances.person_ids'):
        model.loss(data['inputs'], data['data_samples'])


@pytest.mark.parametrize('head, message', [
    (dict(loss_reid=dict(num_features=32)), 'set loss_reid.num_features=64'),
    (dict(reid_branch='deform'), 'reid_branch must be one of'),
    (dict(query_match='box'), 'query_match must be one of'),
    (dict(reid_branch='conv3x3'), "loss_dist needs reid_branch='cpp'"),
    (dict(reid_branch='roialign', loss_dist=None), "reid_branch='roialign' needs"),
])
def test_bad_head_configs_are_named(head, message):
    cfg = tiny_pcnet_cfg()
    for key, value in head.items():
        if isinstance(value, dict):
            cfg.bbox_head[key].update(value)
        else:
            cfg.bbox_head[key] = value
    with pytest.raises(ValueError, match=message):
        MODELS.build(cfg)


@pytest.mark.parametrize('variant', ['full', 'roialign'])
def test_no_detection_gives_empty_embeddings(variant, batch):
    model = build(variant).eval()
    model.bbox_head.test_cfg.score_thr = 1.0  # no score passes
    data = model.data_preprocessor(batch, training=False)
    with torch.no_grad():
        samples = model.predict(data['inputs'], data['data_samples'])
    for sample in samples:
        assert sample.pred_instances.bboxes.shape == (0, 4)
        assert sample.pred_instances.embeddings.shape == (0, 64)
