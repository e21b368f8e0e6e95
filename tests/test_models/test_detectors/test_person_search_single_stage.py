"""Tests of the one-stage person searcher (PCNet): the inference contract
in gallery and query mode, frames, and a training step."""
import math

import pytest
import torch
from mmdet.registry import MODELS

from mmps.models import BasePersonSearcher
from mmps.models.detectors import PersonSearchSingleStage
from mmps.models.utils import boxes_to_input_frame
from mmps.testing import TINY_IMG_H, TINY_IMG_W
from mmps.testing.pcnet_models import tiny_pcnet_cfg
from ...conftest import tiny_sample

pytestmark = pytest.mark.usefixtures('one_torch_thread')
QUERIES = torch.tensor([[8., 8., 60., 120.], [100., 16., 160., 116.]])


@pytest.fixture(scope='module')
def tiny_pcnet():
    torch.manual_seed(0)
    model = MODELS.build(tiny_pcnet_cfg())
    model.init_weights()
    return model


def test_is_a_person_searcher(tiny_pcnet):
    assert isinstance(tiny_pcnet, PersonSearchSingleStage)
    assert isinstance(tiny_pcnet, BasePersonSearcher)


def test_training_step_gives_finite_losses(tiny_pcnet, batch):
    model = tiny_pcnet.train()
    data = model.data_preprocessor(batch, training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    total, log_vars = model.parse_losses(losses)
    assert math.isfinite(total.item())
    for key in ('loss_cls', 'loss_bbox', 'loss_oim', 'loss_dist', 'loss_tri'):
        assert key in log_vars, key
    total.backward()
    assert model.bbox_head.cpp.deform_convs[0].weight.grad.abs().sum() > 0


def test_gallery_in_original_frame_and_queries_as_given(tiny_pcnet, batch):
    model = tiny_pcnet.eval()
    samples = [
        tiny_sample(
            batch['data_samples'][0].gt_instances.bboxes, [0, -1],
            query_bboxes=QUERIES,
            query_indices=[4, -1]),
        tiny_sample(batch['data_samples'][1].gt_instances.bboxes, [3, 1]),
    ]
    data = model.data_preprocessor(dict(inputs=batch['inputs'], data_samples=samples))
    with torch.no_grad():
        results = model.predict(data['inputs'], data['data_samples'])
        input_frame = model.bbox_head.predict(
            model.extract_feat(data['inputs']), data['data_samples'], rescale=False)
    pred = results[0].pred_instances
    # boxes back in the original frame: twice the input-frame boxes
    assert torch.allclose(pred.bboxes, input_frame[0].bboxes * 2, atol=1e-4)
    assert pred.bboxes[:, 2].max() <= 2 * TINY_IMG_W + 1e-3
    assert pred.bboxes[:, 3].max() <= 2 * TINY_IMG_H + 1e-3
    assert torch.allclose(pred.embeddings, input_frame[0].embeddings, atol=1e-6)
    assert (pred.labels == 0).all()
    query = results[0].pred_query_instances
    assert torch.equal(query.bboxes, QUERIES)
    assert query.query_indices.tolist() == [4, -1]
    assert query.embeddings.shape == (2, 64)
    assert 'pred_query_instances' not in results[1]


def test_query_mode_embeds_boxes_in_the_input_frame(tiny_pcnet, batch):
    model = tiny_pcnet.eval()
    samples = [
        tiny_sample(
            s.gt_instances.bboxes,
            s.gt_instances.person_ids,
            query_bboxes=QUERIES,
            flip=flip) for s, flip in zip(batch['data_samples'], (False, True))
    ]
    data = model.data_preprocessor(dict(inputs=batch['inputs'], data_samples=samples))
    with torch.no_grad():
        results = model.predict_query(data['inputs'], data['data_samples'])
        x = model.extract_feat(data['inputs'])
        boxes = [
            boxes_to_input_frame(QUERIES, s.metainfo) for s in data['data_samples']
        ]
        direct = model.bbox_head.embed_boxes(x, boxes,
                                             [s.metainfo for s in data['data_samples']])
    for result, expected in zip(results, direct):
        assert torch.allclose(
            result.pred_query_instances.embeddings, expected, atol=1e-6)
        assert torch.equal(result.pred_query_instances.bboxes, QUERIES)
