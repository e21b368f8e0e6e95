"""BUFFRoIHead: the shape of every intermediate of the full-size model,
its parameter counts against Table 7, and a training step of the tiny
model through the RoI-head template's hooks."""
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

from mmps.models import BUFFRoIHead, PersonSearchRoIHead
from mmps.testing import get_config_file

# one torch thread for the whole module (tests/conftest.py)
pytestmark = pytest.mark.usefixtures('one_torch_thread')


@pytest.fixture(scope='module')
def buff_r50():
    """The full-size BUFF of the PRW config, random weights."""
    cfg = Config.fromfile(get_config_file('buff/buff_r50_prw.py'))
    cfg.model.roi_head.reid_head.loss_reid.num_person_ids = 4
    torch.manual_seed(0)
    return MODELS.build(cfg.model).eval()


def test_intermediate_shapes_of_the_full_model(buff_r50):
    model = buff_r50
    roi_head = model.roi_head
    fusion = roi_head.reid_fusion
    images = torch.rand(1, 3, 64, 96)
    rois = torch.tensor([[0., 4., 4., 36., 60.], [0., 50., 2., 80., 58.]])
    with torch.no_grad():
        x = model.backbone(images)
        assert [tuple(t.shape) for t in x] == [(1, 64, 32, 48), (1, 256, 16, 24),
                                               (1, 512, 8, 12), (1, 1024, 4, 6)]
        seg_logits = roi_head.seg_head(x[2])
        assert seg_logits.shape == (1, 1, 8, 12)
        maps = roi_head._reid_maps(x, seg_logits)
        assert [m.shape for m in maps] == [t.shape for t in x]

        # per-level RoI features: conv1 56x28, conv2 56x28, conv3 28x14,
        # conv4 14x7
        assert fusion.roi_sizes == [(56, 28), (56, 28), (28, 14), (14, 7)]
        feats = fusion.pool(maps, rois)
        assert [tuple(f.shape) for f in feats] == [(2, 64, 56, 28), (2, 256, 56, 28),
                                                   (2, 512, 28, 14), (2, 1024, 14, 7)]
        # T2, T3, T4 bring the level below to the shape of their level
        t2 = fusion.transform(1)(feats[0])
        assert t2.shape == feats[1].shape
        t3 = fusion.transform(2)(torch.max(t2, feats[1]))
        assert t3.shape == feats[2].shape
        t4 = fusion.transform(3)(torch.max(t3, feats[2]))
        assert t4.shape == feats[3].shape
        fused = fusion.fuse(feats)
        assert torch.equal(fused, torch.max(t4, feats[3]))
        conv5 = roi_head.reid_shared_head(fused)
        assert conv5.shape == (2, 2048, 7, 4)
        embeddings = roi_head.reid_head(conv5)
        assert embeddings.shape == (2, 2048)
        assert torch.allclose(embeddings.norm(dim=1), torch.ones(2))

        # detection: conv4 RoIs 14x7 -> conv 256x7x4 -> FC 256
        det_feats = roi_head.bbox_roi_extractor([x[3]], rois)
        assert det_feats.shape == (2, 1024, 14, 7)
        head = roi_head.bbox_head
        assert head.conv(det_feats).shape == (2, 256, 7, 4)
        assert head.fc.in_features == 256 * 7 * 4
        assert head.fc.out_features == 256
        cls_score, bbox_pred = head(det_feats)
        assert cls_score.shape == (2, 2) and bbox_pred.shape == (2, 4)


def _num_params(module):
    return sum(p.numel() for p in module.parameters())


def test_parameter_counts_against_table_7(buff_r50):
    """BUF and the segmentation head add about 2 M parameters (Table 7:
    37.01 M - 35.05 M); the totals are discussed in configs/buff/README.md."""
    cfg = Config.fromfile(get_config_file('buff/buff_baseline_r50_prw.py'))
    baseline = MODELS.build(cfg.model)
    added = _num_params(buff_r50) - _num_params(baseline)
    fusion = buff_r50.roi_head.reid_fusion
    assert added == _num_params(fusion) + _num_params(buff_r50.roi_head.seg_head)
    assert _num_params(buff_r50.roi_head.seg_head) == 512 + 1
    assert abs(added / 1e6 - (37.01 - 35.05)) < 0.02
    # the figures configs/buff/README.md and docs/benchmarks.md quote
    assert _num_params(baseline) == 32_441_962
    assert _num_params(buff_r50) == 34_409_323


@pytest.mark.parametrize('name, paper_millions, paper_row_count', [
    ('buff_baseline_r50_rpn1024_detconv1x1_prw.py', 35.05, 32_441_962),
    ('buff_r50_rpn1024_detconv1x1_prw.py', 37.01, 34_409_323),
])
def test_table_7_reading_matches_the_paper_within_one_percent(
        name, paper_millions, paper_row_count):
    """A 1024-channel RPN conv and a 1x1 detection conv (with BN) give
    Table 7's totals; the configs differ from the paper rows in those two
    layers only, and the detection conv still maps 14x7 to 7x4."""
    cfg = Config.fromfile(get_config_file(f'buff/table7/{name}'))
    model = MODELS.build(cfg.model)
    count = _num_params(model)
    assert abs(count / 1e6 - paper_millions) / paper_millions < 0.01
    head = model.roi_head.bbox_head
    assert head.conv.conv.kernel_size == (1, 1)
    assert head.conv(torch.zeros(1, 1024, 14, 7)).shape == (1, 256, 7, 4)
    assert model.rpn_head.rpn_conv.out_channels == 1024
    # RPN conv: 1024 x 1024 x 9 + 1024 instead of 512 x 1024 x 9 + 512,
    # and its two 1x1 outputs read 1024 channels (12 + 24 per channel);
    # detection conv: 1024 x 256 + BN 2 x 256 instead of 1024 x 256 x 9 + 256
    rpn_extra = (512 * 1024 * 9 + 512) + 512 * (12 + 24)
    det_saving = (1024 * 256 * 9 + 256) - (1024 * 256 + 2 * 256)
    assert count == paper_row_count + rpn_extra - det_saving


@pytest.fixture
def tiny_buff():
    cfg = Config.fromfile(get_config_file('buff/buff_tiny_synthetic.py'))
    cfg.model.roi_head.reid_head.loss_reid.num_person_ids = 4
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.train()


def test_the_loss_is_the_template_with_buff_hooks(tiny_buff, batch, monkeypatch):
    """BUFFRoIHead keeps the RoI-head loop of PersonSearchRoIHead: it
    overrides the hooks only, and the segmentation logits that
    ``extra_losses`` computes are the ones FAM uses in ``reid_loss``."""
    assert 'assign_and_sample' not in vars(BUFFRoIHead)
    assert BUFFRoIHead.loss is not PersonSearchRoIHead.loss  # stride check
    head = tiny_buff.roi_head
    seg_calls, fam_inputs = [], []
    seg_forward = head.seg_head.forward
    reid_maps = head._reid_maps

    def count_seg(x):
        out = seg_forward(x)
        seg_calls.append(out)
        return out

    def record_maps(x, seg_logits):
        fam_inputs.append(seg_logits)
        return reid_maps(x, seg_logits)

    monkeypatch.setattr(head.seg_head, 'forward', count_seg)
    monkeypatch.setattr(head, '_reid_maps', record_maps)
    data = tiny_buff.data_preprocessor(batch, training=True)
    losses = tiny_buff.loss(data['inputs'], data['data_samples'])
    assert len(seg_calls) == 1 and fam_inputs[0] is seg_calls[0]
    keys = [k for k in losses if not k.startswith('loss_rpn')]
    assert keys == ['loss_cls', 'acc', 'loss_bbox', 'loss_seg', 'loss_oim']
    total, _ = tiny_buff.parse_losses(losses)
    assert torch.isfinite(total)
