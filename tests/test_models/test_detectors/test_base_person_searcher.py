"""BasePersonSearcher: the contract as a base class, shared query packing."""
import pytest
import torch
from mmdet.models.detectors import BaseDetector
from mmdet.registry import MODELS

from mmps.models import BasePersonSearcher
from mmps.models.detectors import check_person_searcher
from ...conftest import tiny_sample


class CornerSearcher(BasePersonSearcher, BaseDetector):
    """A stand-in searcher whose embedding of a box is its normalised
    corners, to test what the base class adds."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(()))

    def extract_feat(self, batch_inputs):
        return batch_inputs

    def embed_boxes(self, feats, boxes_list, batch_data_samples):
        assert len(boxes_list) == len(batch_data_samples) == len(feats)
        return [
            torch.nn.functional.normalize(b * self.weight, dim=1) for b in boxes_list
        ]

    def loss(self, *args):
        raise NotImplementedError

    def predict(self, *args):
        raise NotImplementedError

    def _forward(self, *args):
        raise NotImplementedError


def test_embed_boxes_is_abstract():

    class NoEmbedding(BasePersonSearcher, BaseDetector):
        pass

    with pytest.raises(TypeError, match='embed_boxes'):
        NoEmbedding()


def test_predict_query_packs_given_boxes_in_order():
    searcher = CornerSearcher()
    queries = [[20., 10., 70., 120.], [100., 4., 160., 116.]]
    samples = [
        tiny_sample([[4., 4., 30., 60.]], [0],
                    query_bboxes=queries,
                    query_indices=[5, -1]),
        tiny_sample([[4., 4., 30., 60.]], [0]),
    ]
    samples[0].query_instances.extra = torch.tensor([7, 8])
    results = searcher.predict_query(torch.zeros(2, 3, 64, 96), samples)
    assert 'pred_query_instances' not in results[1]
    pred = results[0].pred_query_instances
    # original frame, given order; the embedding saw the input frame (x0.5)
    assert torch.equal(pred.bboxes, torch.tensor(queries))
    assert torch.allclose(
        pred.embeddings,
        torch.nn.functional.normalize(torch.tensor(queries) * 0.5, dim=1))
    assert pred.query_indices.tolist() == [5, -1]
    assert pred.extra.tolist() == [7, 8]


def test_no_query_no_embedding_call(monkeypatch):
    searcher = CornerSearcher()
    monkeypatch.setattr(searcher, 'embed_boxes', None)  # would fail if called
    samples = [tiny_sample([[4., 4., 30., 60.]], [0])]
    results = searcher.predict_query(torch.zeros(1, 3, 64, 96), samples)
    assert 'pred_query_instances' not in results[0]


def test_check_person_searcher(tiny_model):
    check_person_searcher(tiny_model)
    retinanet = MODELS.build(
        dict(
            type='RetinaNet',
            backbone=dict(
                type='ResNet',
                depth=18,
                num_stages=1,
                strides=(1, ),
                dilations=(1, ),
                out_indices=(0, ),
                init_cfg=None),
            neck=None,
            bbox_head=dict(
                type='RetinaHead',
                num_classes=1,
                in_channels=64,
                feat_channels=8,
                stacked_convs=1,
                anchor_generator=dict(
                    type='AnchorGenerator',
                    octave_base_scale=4,
                    scales_per_octave=1,
                    ratios=[1.0],
                    strides=[4]),
                bbox_coder=dict(type='DeltaXYWHBBoxCoder'))))
    with pytest.raises(ValueError, match='not a person-search model'):
        check_person_searcher(retinanet)
