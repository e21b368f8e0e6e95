"""Tests of the OIM detector: training step, gallery and query modes."""
import math

import pytest
import torch

from mmps.models import BasePersonSearcher, PersonSearchTwoStage
from mmps.models.utils import boxes_to_input_frame, boxes_to_original_frame
from mmps.testing import TINY_IMG_W as IMG_W
from mmps.testing import TINY_SCALE as SCALE
from ...conftest import tiny_sample


def test_is_a_person_searcher(tiny_model):
    assert isinstance(tiny_model, PersonSearchTwoStage)
    assert isinstance(tiny_model, BasePersonSearcher)


def test_training_step_gives_finite_losses(tiny_model, batch):
    model = tiny_model.train()
    data = model.data_preprocessor(batch, training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    for key in ('loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox', 'loss_oim'):
        assert key in losses, key
    total, _ = model.parse_losses(losses)
    assert math.isfinite(total.item())
    assert losses['loss_oim'].item() > 0
    total.backward()
    # the labelled persons 0, 1, 3 entered the lookup table, 2 did not
    oim = model.roi_head.reid_head.loss_reid
    lut_norms = oim.lut.norm(dim=1)
    assert torch.allclose(lut_norms[[0, 1, 3]], torch.ones(3), atol=1e-5)
    assert lut_norms[2] == 0
    assert int(oim.queue_ptr) > 0

    # with an empty memory the first OIM gradient is zero; the second step
    # scores against the filled lookup table and trains the embedding
    model.zero_grad()
    losses = model.loss(data['inputs'], data['data_samples'])
    total, _ = model.parse_losses(losses)
    assert math.isfinite(total.item())
    losses['loss_oim'].backward()
    fc = model.roi_head.reid_head.fc
    assert fc.weight.grad is not None and fc.weight.grad.abs().sum() > 0
    assert all(p.grad is None or p.grad.abs().sum() == 0
               for p in model.roi_head.bbox_head.parameters())


def test_reid_loss_labels_come_from_assigned_gt(tiny_model, batch, monkeypatch):
    model = tiny_model.train()
    seen = []
    loss_reid = model.roi_head.reid_head.loss_reid
    original = loss_reid.forward

    def spy(embeddings, person_ids):
        seen.append(person_ids.clone())
        return original(embeddings, person_ids)

    monkeypatch.setattr(loss_reid, 'forward', spy)
    data = model.data_preprocessor(batch, training=True)
    model.loss(data['inputs'], data['data_samples'])
    ids = seen[0]
    # gt boxes are added as proposals: every person is represented
    assert set(ids.tolist()) == {-1, 0, 1, 3}


def test_query_mode_one_embedding_per_box_in_order(tiny_model, batch):
    model = tiny_model.eval()
    queries = [[20., 10., 70., 120.], [100., 4., 160., 116.], [8., 8., 60., 120.]]
    batch['data_samples'][1] = tiny_sample([[10., 6., 40., 62.]], [3],
                                           query_bboxes=queries,
                                           query_indices=[-1, 1, 3])
    data = model.data_preprocessor(batch, training=False)
    with torch.no_grad():
        results = model.predict(data['inputs'], data['data_samples'])
    assert 'pred_query_instances' not in results[0]
    pred = results[1].pred_query_instances
    assert torch.equal(pred.bboxes, torch.tensor(queries))
    assert pred.query_indices.tolist() == [-1, 1, 3]
    assert pred.embeddings.shape == (3, 64)
    assert torch.allclose(pred.embeddings.norm(dim=1), torch.ones(3))
    # each box alone, scaled by hand into the input frame, gives the same
    # embedding at the same position
    with torch.no_grad():
        feats = model.extract_feat(data['inputs'])
        for i, box in enumerate(queries):
            scaled = torch.tensor([box]) * SCALE
            alone = model.roi_head.embed_boxes(feats,
                                               [feats[0].new_zeros(0, 4), scaled])[1]
            assert torch.allclose(alone[0], pred.embeddings[i], atol=1e-5)


def test_predict_query_runs_no_rpn(tiny_model, batch, monkeypatch):
    model = tiny_model.eval()

    def no_rpn(*args, **kwargs):
        raise AssertionError('the RPN ran in query mode')

    monkeypatch.setattr(model.rpn_head, 'predict', no_rpn)
    batch['data_samples'] = [
        tiny_sample([[4., 4., 30., 60.]], [0], query_bboxes=[[8, 8, 60, 90]])
        for _ in range(2)
    ]
    data = model.data_preprocessor(batch, training=False)
    with torch.no_grad():
        results = model.predict_query(data['inputs'], data['data_samples'])
    for result in results:
        assert result.pred_query_instances.embeddings.shape == (1, 64)
        assert 'pred_instances' not in result


def test_gallery_mode_embeds_final_boxes(tiny_model, batch):
    model = tiny_model.eval()
    data = model.data_preprocessor(batch, training=False)
    with torch.no_grad():
        results = model.predict(data['inputs'], data['data_samples'])
        feats = model.extract_feat(data['inputs'])
    for i, result in enumerate(results):
        pred = result.pred_instances
        num = len(pred)
        assert num > 0
        assert pred.bboxes.shape == (num, 4)
        assert pred.scores.shape == pred.labels.shape == (num, )
        assert pred.embeddings.shape == (num, 64)
        assert torch.allclose(pred.embeddings.norm(dim=1), torch.ones(num))
        ori_h, ori_w = result.ori_shape
        assert pred.bboxes[:, 2].max() <= ori_w + 1e-3
        assert pred.bboxes[:, 3].max() <= ori_h + 1e-3
        # embeddings are those of the returned boxes, re-pooled
        boxes = [feats[0].new_zeros(0, 4)] * 2
        boxes[i] = pred.bboxes * SCALE
        with torch.no_grad():
            again = model.roi_head.embed_boxes(feats, boxes)[i]
        assert torch.allclose(again, pred.embeddings, atol=1e-4)


@pytest.mark.parametrize('flip', [False, True])
def test_box_frames_round_trip(flip):
    meta = tiny_sample([[0., 0., 1., 1.]], [0], flip=flip).metainfo
    boxes = torch.tensor([[20., 10., 70., 120.]])
    inside = boxes_to_input_frame(boxes, meta)
    expected = boxes * SCALE
    if flip:
        expected = torch.tensor([[IMG_W - 35., 5., IMG_W - 10., 60.]])
    assert torch.allclose(inside, expected)
    assert torch.allclose(boxes_to_original_frame(inside, meta), boxes)
