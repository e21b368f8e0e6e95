import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import ReIDDataSample

from mmps.models.reid import BaseCropReID, build_crop_cfg
from mmps.testing.two_step_cases import TinyCropReID


def packed(person_id, crop_cfg, mask=True):
    sample = ReIDDataSample()
    sample.set_gt_label(person_id)
    if mask:
        sample.fg_mask = torch.ones(1, 16, 8)
    sample.set_metainfo(dict(crop_cfg=crop_cfg))
    return sample


def test_abstract():
    with pytest.raises(TypeError, match='abstract'):
        BaseCropReID()


def test_crop_cfg_defaults_and_checks():
    assert build_crop_cfg({}) == dict(expand_ratio=1.0, size=(256, 128), mask=None)
    cfg = build_crop_cfg(dict(expand_ratio=1.3, size=[64, 32], mask='box'))
    assert cfg.size == (64, 32) and cfg.expand_ratio == 1.3
    with pytest.raises(ValueError, match=r'expand_ratio \(gamma\) must be >= 1'):
        TinyCropReID(crop_cfg=dict(expand_ratio=0.8))
    with pytest.raises(
            ValueError, match="crop_cfg.mask must be None, 'instance' or 'box'"):
        build_crop_cfg(dict(mask='fcis'))
    with pytest.raises(ValueError, match=r'unknown crop_cfg keys \[\'gamma\'\]'):
        build_crop_cfg(dict(gamma=1.2))
    with pytest.raises(ValueError, match=r'crop_cfg.size must be \(h, w\)'):
        build_crop_cfg(dict(size=(64, )))


def test_require_masks():
    model = TinyCropReID(crop_cfg=dict(size=(16, 8)))
    with pytest.raises(
            ValueError,
            match=r"stream 'F' needs foreground masks but "
            r"crop_cfg.mask is None: set crop_cfg.mask='instance'"):
        model.require_masks("stream 'F'")
    TinyCropReID(crop_cfg=dict(size=(16, 8), mask='box')).require_masks("stream 'F'")


def test_normalize():
    model = TinyCropReID(
        mean=(1., 2., 3.), std=(2., 2., 2.), crop_cfg=dict(size=(16, 8)))
    bgr = torch.tensor([30., 20., 10.]).view(1, 3, 1, 1).expand(2, 3, 4, 4)
    out = model.normalize(bgr)
    assert torch.equal(out[0, :, 0, 0], torch.tensor([4.5, 9., 13.5]))
    model.bgr_to_rgb = False
    assert torch.equal(model.normalize(bgr)[0, :, 0, 0], torch.tensor([14.5, 9., 3.5]))
    assert 'mean' not in model.state_dict()  # statistics are config, not weights
    # in a detector data_preprocessor's terms (RDLR compares the two)
    assert model.normalization == dict(
        mean=(1., 2., 3.), std=(2., 2., 2.), bgr_to_rgb=False)


def test_forward_modes():
    torch.manual_seed(0)
    crop_cfg = dict(expand_ratio=1.2, size=(16, 8), mask='instance')
    model = MODELS.build(dict(type='TinyCropReID', num_person_ids=3, crop_cfg=crop_cfg))
    patches = [torch.rand(3, 16, 8) * 255 for _ in range(4)]
    samples = [packed(i, crop_cfg) for i in (0, 1, -1, 2)]
    embeddings = model(torch.stack(patches), samples, mode='tensor')
    assert embeddings.shape == (4, 8)
    assert torch.allclose(embeddings.norm(dim=1), torch.ones(4))
    # a list of (3, h, w) or (1, 3, h, w) tensors batches the same way
    assert torch.allclose(model([p[None] for p in patches], samples), embeddings)
    losses = model(patches, samples, mode='loss')
    assert set(losses) == {'loss_oim'} and losses['loss_oim'].requires_grad
    out = model(patches, samples, mode='predict')
    assert torch.allclose(out[1].pred_feature, embeddings[1])
    with pytest.raises(ValueError, match="invalid mode 'x'"):
        model(patches, samples, mode='x')


def test_unpack_errors():
    crop_cfg = dict(expand_ratio=1.0, size=(16, 8), mask='box')
    model = TinyCropReID(crop_cfg=crop_cfg)
    patches = torch.rand(2, 3, 16, 8)
    other = dict(expand_ratio=1.3, size=(16, 8), mask='box')
    with pytest.raises(
            ValueError, match=r"but reid.crop_cfg is .* make CropPersonPatch"):
        model(patches, [packed(0, other)] * 2)
    with pytest.raises(ValueError, match="needs fg_mask in every data sample"):
        model(patches, [packed(0, crop_cfg, mask=False)] * 2)
    with pytest.raises(ValueError, match='needs fg_mask in the data samples'):
        model(patches)
    plain = TinyCropReID(crop_cfg=dict(size=(16, 8)))
    assert plain(patches).shape == (2, 8)
    with pytest.raises(
            ValueError, match='mode="loss" needs data samples with gt_label'):
        plain(patches, None, mode='loss')
