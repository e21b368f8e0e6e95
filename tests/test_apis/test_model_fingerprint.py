"""Tests of model_fingerprint: deterministic, and changed by the weights and
the model config but not by the test-time settings."""
import copy

import pytest
import torch
from mmengine.config import Config

from mmps.apis import ModelFingerprint, init_searcher, model_fingerprint
from mmps.utils import build_person_search_model
from .conftest import CONFIG, FAST_TEST_CFG, FIXED_IDS


def test_same_model_same_fingerprint(searcher, checkpoint):
    fingerprint = model_fingerprint(searcher)
    assert isinstance(fingerprint, ModelFingerprint)
    assert len(fingerprint.weights) == len(fingerprint.config) == 64
    # the same weights loaded through the same config, in another model object
    reloaded = init_searcher(CONFIG, checkpoint, cfg_options=FAST_TEST_CFG)
    assert model_fingerprint(reloaded) == fingerprint


def test_weights_and_config_each_change_it(searcher):
    fingerprint = model_fingerprint(searcher)
    other = copy.deepcopy(searcher)
    with torch.no_grad():
        next(other.roi_head.reid_head.parameters()).add_(1e-6)
    assert fingerprint.differences(model_fingerprint(other)) == ['weights']

    other = copy.deepcopy(searcher)
    other.cfg.model.data_preprocessor.mean = [0.0, 0.0, 0.0]
    assert fingerprint.differences(model_fingerprint(other)) == ['config']

    # which detections are kept, and how the model was trained or initialised,
    # leave the embeddings comparable
    other.cfg = copy.deepcopy(searcher.cfg)
    other.cfg.model.test_cfg.rcnn.score_thr = 0.9
    other.cfg.model.train_cfg.rcnn.sampler.num = 4
    other.cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint='x.pth')
    assert model_fingerprint(other) == fingerprint


def test_a_model_without_its_config_is_refused():
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(FIXED_IDS)
    model = build_person_search_model(cfg, init_weights=False)
    with pytest.raises(ValueError, match='without its config'):
        model_fingerprint(model)
