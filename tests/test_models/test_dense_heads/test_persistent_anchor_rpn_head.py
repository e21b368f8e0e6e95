"""PersistentAnchorRPNHead: the anchor scales filled from the training
heights travel with the checkpoint; unfilled, the head refuses to run."""
import pytest
import torch
from mmdet.models.dense_heads import RPNHead
from mmdet.registry import MODELS
from mmengine.config import Config

from mmps.models.dense_heads import PersistentAnchorRPNHead
from mmps.testing import get_config_file, make_det_sample
from mmps.utils import build_person_search_model, fill_anchor_scales

ANCHORS = dict(type='AnchorGenerator', scales=[2, 4], ratios=[0.5, 1.0], strides=[16])
REQUEST = dict(type='height_percentiles', percentiles=(1, 99), num=3)
pytestmark = pytest.mark.usefixtures('one_torch_thread')


def detector_cfg(data_root: str) -> Config:
    """The tiny two-step detector asking for its anchor scales, its
    training split in ``data_root``; every box kept in test."""
    cfg = Config.fromfile(get_config_file('mgts/mgts_det_tiny_synthetic.py'))
    cfg.model.rpn_head.type = 'PersistentAnchorRPNHead'
    cfg.model.rpn_head.anchor_generator.scales = REQUEST
    cfg.model.test_cfg.rcnn.score_thr = 0.0
    cfg.train_dataloader.dataset.update(
        data_root=data_root + '/',
        ann_file='annotations/train.json',
        data_prefix=dict(img='images/'))
    return cfg


def predict(model, seed=0):
    """Boxes and scores of one random image."""
    torch.manual_seed(seed)
    data = dict(
        inputs=[torch.randint(0, 255, (3, 96, 128), dtype=torch.uint8)],
        data_samples=[make_det_sample((96, 128))])
    with torch.no_grad():
        result = model.eval().test_step(data)[0].pred_instances
    return result.bboxes, result.scores


def test_checkpoint_carries_the_data_scales(tiny_root, tmp_path):
    trained_cfg = detector_cfg(tiny_root)
    filled = fill_anchor_scales(trained_cfg)['model.rpn_head.anchor_generator']
    torch.manual_seed(0)
    trained = MODELS.build(trained_cfg.model)
    checkpoint = str(tmp_path / 'det.pth')
    torch.save(dict(state_dict=trained.state_dict()), checkpoint)
    assert trained.rpn_head.anchor_scales.tolist() == pytest.approx(filled)

    # inference: the unfilled config, no training data
    loaded = build_person_search_model(detector_cfg('/nonexistent'), checkpoint)
    assert torch.equal(loaded.rpn_head.anchor_scales, trained.rpn_head.anchor_scales)
    bboxes, scores = predict(trained)
    assert len(bboxes) > 0
    loaded_bboxes, loaded_scores = predict(loaded)
    assert torch.equal(loaded_bboxes, bboxes) and torch.equal(loaded_scores, scores)

    # the predictions depend on the scales the checkpoint gave
    state = trained.state_dict()
    state['rpn_head.anchor_scales'] = state['rpn_head.anchor_scales'] * 2
    loaded.load_state_dict(state)
    assert not torch.equal(predict(loaded)[0], bboxes)


def test_unfilled_head_refuses_to_run():
    model = MODELS.build(detector_cfg('/nonexistent').model)
    head = model.rpn_head
    assert head.num_base_priors == 9 and not head.scales_set
    assert torch.isnan(head.prior_generator.base_anchors[0]).all()  # no silent default
    with pytest.raises(
            RuntimeError,
            match='anchor scales are not set: .* load a '
            'checkpoint trained with them'):
        predict(model)


def test_given_scales_act_as_rpn_head():
    torch.manual_seed(0)
    head = PersistentAnchorRPNHead(
        in_channels=8, feat_channels=8, anchor_generator=ANCHORS)
    plain = RPNHead(in_channels=8, feat_channels=8, anchor_generator=ANCHORS)
    state = head.state_dict()
    assert state['anchor_scales'].tolist() == [2., 4.]
    assert set(state) - set(plain.state_dict()) == {'anchor_scales'}
    del state['anchor_scales']
    plain.load_state_dict(state)
    x = (torch.rand(1, 8, 4, 6), )
    for ours, theirs in zip(head(x), plain(x)):
        assert torch.equal(ours[0], theirs[0])
    assert torch.equal(head.prior_generator.base_anchors[0],
                       plain.prior_generator.base_anchors[0])
