"""MaskGuidedReID (MGTS Sec. 3.3): streams, SE fusion, projection, OIM."""
import pytest
import torch
from mmdet.registry import MODELS

OIM = dict(
    type='OIMLoss',
    num_features=16,
    num_person_ids=5,
    queue_size=8,
    scalar=30.0,
    momentum=0.5)


def _tiny(streams=('F', 'O'), mask='instance', **kwargs):
    cfg = dict(
        type='MaskGuidedReID',
        streams=streams,
        crop_cfg=dict(expand_ratio=1.3, size=(64, 32), mask=mask),
        backbone=dict(type='ResNet', depth=18, out_indices=(3, ), norm_eval=False),
        reid_head=dict(
            type='ReIDEmbeddingHead',
            in_channels=512 * len(streams),
            embed_dim=16,
            bias=False,
            loss_reid=OIM))
    cfg.update(kwargs)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model.eval()


def _full(streams):
    return MODELS.build(
        dict(
            type='MaskGuidedReID',
            streams=streams,
            crop_cfg=dict(expand_ratio=1.3, mask='instance'),
            reid_head=dict(
                type='ReIDEmbeddingHead',
                in_channels=2048 * len(streams),
                embed_dim=128,
                bias=False,
                loss_reid=dict(OIM, num_features=128))))


def test_parameter_counts_of_the_paper_models():
    # 2 x ResNet-50 (23,508,032) + SE (2,101,504) + 4096 x 128 projection
    assert sum(p.numel() for p in _full(('F', 'O')).parameters()) == 49_641_856
    # one stream: ResNet-50 + 2048 x 128, no SE
    one = _full(('O', ))
    assert one.fusion is None
    assert sum(p.numel() for p in one.parameters()) == 23_770_176


def test_streams_have_their_own_weights_and_embeddings_are_l2():
    model = _tiny()
    assert list(model.backbones) == ['F', 'O']
    assert model.backbones['F'].conv1.weight is not model.backbones['O'].conv1.weight
    patches = torch.rand(3, 3, 64, 32) * 255
    masks = (torch.rand(3, 1, 64, 32) > 0.5).float()
    embeddings = model.embed(patches, masks)
    assert embeddings.shape == (3, 16)
    assert torch.allclose(embeddings.norm(dim=1), torch.ones(3), atol=1e-5)


def test_fusion_takes_the_f_stream_then_the_o_stream():
    model = _tiny().eval()
    patches = torch.rand(2, 3, 64, 32) * 255
    masks = (torch.rand(2, 1, 64, 32) > 0.5).float()
    with torch.no_grad():
        fg = model.backbones['F'](model.normalize(patches * masks))[-1]
        orig = model.backbones['O'](model.normalize(patches))[-1]
        assert torch.allclose(
            model.extract_feat(patches, masks), model.fusion(fg, orig), atol=1e-5)


@pytest.mark.parametrize('stream,unseen', [('F', 0.0), ('B', 1.0)])
def test_masked_streams_do_not_see_the_masked_out_pixels(stream, unseen):
    model = _tiny((stream, ))
    patches = torch.rand(2, 3, 64, 32) * 255
    masks = torch.zeros(2, 1, 64, 32)
    masks[:, :, 16:48, 8:24] = 1
    changed = patches + 50 * (masks == unseen).float()
    assert torch.allclose(
        model.embed(patches, masks), model.embed(changed, masks), atol=1e-5)
    # the original stream does see them
    orig = _tiny(('O', ), mask=None)
    assert not torch.allclose(
        orig.embed(patches, None), orig.embed(changed, None), atol=1e-3)


def test_loss_trains_every_stream_and_the_fusion():
    model = _tiny().train()
    patches = torch.rand(4, 3, 64, 32) * 255
    masks = (torch.rand(4, 1, 64, 32) > 0.5).float()
    person_ids = torch.tensor([0, 1, -1, 0])
    model.loss(patches, masks, person_ids)  # fills the (zero) lookup table
    losses = model.loss(patches, masks, person_ids)
    assert set(losses) == {'loss_oim'} and torch.isfinite(losses['loss_oim'])
    losses['loss_oim'].backward()
    for part in (model.backbones['F'].conv1, model.backbones['O'].conv1,
                 model.fusion.se.conv1.conv, model.reid_head.fc):
        assert part.weight.grad is not None and part.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('kwargs,match', [
    (dict(streams=()), 'streams must be one or two distinct'),
    (dict(streams=('F', 'O', 'B')), 'streams must be one or two distinct'),
    (dict(streams=('O', 'O')), 'streams must be one or two distinct'),
    (dict(streams=('X', )), 'streams must be one or two distinct'),
    (dict(streams=('F', 'O'), mask=None), "stream 'F' needs foreground masks"),
    (dict(streams=('B', ), mask=None), "stream 'B' needs foreground masks"),
])
def test_bad_streams(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _tiny(**kwargs)


def test_bad_gamma_and_head_width():
    with pytest.raises(ValueError, match='gamma'):
        _tiny(('O', ), mask=None, crop_cfg=dict(expand_ratio=0.8))
    with pytest.raises(ValueError, match='set reid_head.in_channels to it'):
        _tiny(('F', 'O'),
              reid_head=dict(
                  type='ReIDEmbeddingHead',
                  in_channels=512,
                  embed_dim=16,
                  loss_reid=OIM))
