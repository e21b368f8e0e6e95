"""BNNeckReID (RDLR's re-ID baseline): structure, losses, checkpoints."""
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS

from mmps.models.reid import BNNeckReID

pytestmark = pytest.mark.usefixtures('one_torch_thread')
TINY_BACKBONE = dict(
    type='ResNet', depth=18, strides=(1, 2, 2, 1), out_indices=(3, ), norm_eval=False)


def _tiny(**kwargs) -> BNNeckReID:
    cfg = dict(
        type='BNNeckReID',
        backbone=TINY_BACKBONE,
        in_channels=512,
        num_person_ids=4,
        crop_cfg=dict(size=(64, 32)))
    cfg.update(kwargs)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def test_full_model_structure():
    model = BNNeckReID(num_person_ids=751)
    # ResNet-50 23,508,032 + BNNeck 2 x 2048 + 2048 x 751 classifier
    assert sum(p.numel() for p in model.parameters()) == 23_508_032 + 4096 + 2048 * 751
    assert model.classifier.bias is None
    assert not model.bnneck.bias.requires_grad
    assert model.backbone.strides == (1, 2, 2, 1)  # last stride 1: 16x8 conv5 map
    assert model.backbone(torch.zeros(1, 3, 256, 128))[-1].shape == (1, 2048, 16, 8)


def test_embedding_is_the_l2_normalised_bnneck_output():
    model = _tiny().eval()
    patches = torch.rand(3, 3, 64, 32) * 255
    pooled, bn_feats = model.features(patches)
    expected_bn = (pooled - model.bnneck.running_mean) / torch.sqrt(
        model.bnneck.running_var + model.bnneck.eps) * model.bnneck.weight
    torch.testing.assert_close(bn_feats, expected_bn + model.bnneck.bias)
    torch.testing.assert_close(model.embed(patches), F.normalize(bn_feats, dim=1))
    # patches normalised already (RDLR's crops of the detector's input)
    normalised = model.normalize(patches)
    assert all(
        torch.equal(a, b)
        for a, b in zip(model.normalized_features(normalised), (pooled, bn_feats)))
    assert torch.equal(model.embed_normalized(normalised), model.embed(patches))


def test_losses_label_smoothed_ce_and_triplet_on_the_pooled_feature():
    model = _tiny().train()
    patches = torch.rand(6, 3, 64, 32) * 255
    ids = torch.tensor([0, 0, 1, 1, -1, 2])
    losses = model.loss(patches, None, ids)
    assert set(losses) == {'loss_reid_cls', 'loss_reid_tri'}
    pooled, bn_feats = model.features(patches)
    keep = ids >= 0
    logits = bn_feats[keep] @ model.classifier.weight.t()
    expected_cls = F.cross_entropy(logits, ids[keep], label_smoothing=0.1)
    expected_tri = MODELS.build(dict(type='TripletLoss', margin=0.3))(pooled[keep],
                                                                      ids[keep])
    torch.testing.assert_close(losses['loss_reid_cls'], expected_cls)
    torch.testing.assert_close(losses['loss_reid_tri'], expected_tri)
    sum(losses.values()).backward()
    assert model.classifier.weight.grad.abs().sum() > 0
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    assert model.bnneck.bias.grad is None


def test_one_identity_gives_zero_triplet_and_switches_work():
    model = _tiny(loss_cls_weight=0.0).train()
    losses = model.loss(torch.rand(2, 3, 64, 32), None, torch.tensor([1, 1]))
    assert set(losses) == {'loss_reid_tri'} and losses['loss_reid_tri'].item() == 0
    model = _tiny(loss_triplet=None)
    assert set(model.loss(torch.rand(2, 3, 64, 32), None,
                          torch.tensor([1, 2]))) == {'loss_reid_cls'}
    with pytest.raises(ValueError, match='BNNeckReID has no loss'):
        _tiny(loss_cls_weight=0.0, loss_triplet=None)


def test_unsized_classifier_takes_the_checkpoint_width(tmp_path: Path):
    trained = _tiny(num_person_ids=7)
    torch.save(trained.state_dict(), tmp_path / 'reid.pth')
    unsized = _tiny(num_person_ids=None)
    assert unsized.num_person_ids == 0
    with pytest.raises(RuntimeError, match='set num_person_ids'):
        unsized.classification_loss(torch.zeros(1, 512), torch.tensor([0]))
    unsized.load_state_dict(torch.load(tmp_path / 'reid.pth'))
    assert unsized.num_person_ids == 7
    torch.testing.assert_close(unsized.classifier.weight, trained.classifier.weight)
