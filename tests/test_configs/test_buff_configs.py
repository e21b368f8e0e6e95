"""Every BUFF config (Table 1, Table 4, Fig. 4, the BN-reading pair and the
tiny synthetic ones) selects its paper variant and its BN reading, and
every variant trains one step and predicts in gallery and query modes on
tiny inputs.

A variant is the re-ID levels, the segmentation head and the FAM levels:
the only fields the paper's configs change. Each is run as the ResNet-18
model of ``buff_tiny_synthetic.py`` given those fields (the full-size
models are built by test_all_configs.py)."""
import math
import os.path as osp
from pathlib import Path

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from torch.nn.modules.batchnorm import _BatchNorm

from mmps.testing import (TINY_IMG_H, TINY_IMG_W, TINY_SCALE, get_config_file,
                          make_det_sample)
from mmps.utils import fill_num_person_ids

BUFF_DIR = Path(get_config_file('buff/buff_r50_prw.py')).parent
CONFIGS = sorted(p.name for p in BUFF_DIR.glob('*.py'))
BN_READING = sorted(p.name for p in BUFF_DIR.glob('bn_reading/*.py'))
TINY = BUFF_DIR / 'buff_tiny_synthetic.py'

# one torch thread for the whole module (conftest.py)
pytestmark = pytest.mark.usefixtures('one_torch_thread')

# config -> (re-ID levels, segmentation head, FAM levels); 0..3 = conv1..4
VARIANTS = {
    'buff_baseline_r50': ((3, ), False, ()),
    'buff_buf_r50': ((0, 1, 2, 3), False, ()),
    'buff_r50': ((0, 1, 2, 3), True, (0, 1, 2, 3)),
    'buff_bsl_fam_r50': ((3, ), True, (3, )),
    'buff_buf_c34_r50': ((2, 3), False, ()),
    'buff_buf_c234_r50': ((1, 2, 3), False, ()),
    'buff_buf_c1_r50': ((0, ), False, ()),
    'buff_buf_c2_r50': ((1, ), False, ()),
    'buff_buf_c3_r50': ((2, ), False, ()),
    'buff_tiny': ((0, 1, 2, 3), True, (0, 1, 2, 3)),
    'buff_baseline_tiny': ((3, ), False, ()),
}


def variant_of(name):
    stem = name[:-3]
    for suffix in ('_prw', '_cuhk_sysu', '_synthetic', '_trainbn'):
        stem = stem[:-len(suffix)] if stem.endswith(suffix) else stem
    return VARIANTS[stem]


def config_variant(name):
    """(re-ID levels, segmentation head, FAM levels) of a config."""
    roi = Config.fromfile(BUFF_DIR / name).model.roi_head
    return (tuple(roi.reid_fusion.in_indices), roi.get('seg_head')
            is not None, tuple(roi.get('fam_in_indices', ())))


def tiny_model_cfg(variant):
    """``buff_tiny_synthetic.py`` turned into ``variant``, with fewer and
    smaller RoIs than the tiny config (conv4 4x2 ... conv1 16x8)."""
    cfg = Config.fromfile(TINY)
    roi = cfg.model.roi_head
    roi.reid_fusion.update(in_indices=variant[0], out_size=(4, 2))
    roi.seg_head = roi.seg_head if variant[1] else None
    roi.fam_in_indices = variant[2]
    roi.reid_head.loss_reid.queue_size = 8
    fill_num_person_ids(cfg, 4)
    cfg.model.train_cfg.rpn_proposal.update(nms_pre=200, max_per_img=20)
    cfg.model.train_cfg.rcnn.sampler.num = 16
    cfg.model.test_cfg.rpn.update(nms_pre=200, max_per_img=10)
    cfg.model.test_cfg.rcnn.update(score_thr=0.0, max_per_img=3)
    return cfg.model


def test_every_paper_variant_has_a_config():
    table1_table4 = ('buff_baseline_r50', 'buff_buf_r50', 'buff_r50',
                     'buff_bsl_fam_r50', 'buff_buf_c34_r50', 'buff_buf_c234_r50')
    fig4 = ('buff_buf_c1_r50', 'buff_buf_c2_r50', 'buff_buf_c3_r50')
    expected = {
        f'{stem}_{ds}.py'
        for stem in table1_table4 for ds in ('prw', 'cuhk_sysu')
    }
    expected |= {f'{stem}_prw.py' for stem in fig4}
    expected |= {'buff_tiny_synthetic.py', 'buff_baseline_tiny_synthetic.py'}
    assert set(CONFIGS) == expected


@pytest.mark.parametrize('name',
                         CONFIGS + [f'bn_reading/{name}' for name in BN_READING])
def test_config_selects_its_variant(name):
    assert config_variant(name) == variant_of(osp.basename(name))


def tiny_sample(gt_bboxes, person_ids, **kwargs):
    """A sample of the tiny model tests: input (TINY_IMG_H, TINY_IMG_W),
    original image twice as large."""
    return make_det_sample((TINY_IMG_H, TINY_IMG_W),
                           TINY_SCALE,
                           gt_bboxes=gt_bboxes,
                           person_ids=person_ids,
                           **kwargs)


@pytest.mark.parametrize('variant', sorted(set(VARIANTS.values())), ids=str)
def test_variant_trains_and_predicts(variant, batch):
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg(variant))

    model.train()
    data = model.data_preprocessor(batch, training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    expected = {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox', 'loss_oim'}
    if variant[1]:
        expected.add('loss_seg')
    assert expected <= set(losses)
    assert variant[1] or 'loss_seg' not in losses
    total, _ = model.parse_losses(losses)
    assert math.isfinite(total.item())
    total.backward()
    roi = model.roi_head
    if variant[1]:
        assert roi.seg_head.conv_seg.weight.grad.abs().sum() > 0
    for level in range(variant[0][0] + 1, 4):
        block = roi.reid_fusion.transform(level)
        assert block[0].conv1.weight.grad is not None

    model.eval()
    queries = [[8., 8., 60., 120.], [100., 4., 160., 116.]]  # original frame
    samples = [
        tiny_sample([[4., 4., 30., 60.]], [0],
                    query_bboxes=queries,
                    query_indices=[-1, 1]),
        tiny_sample([[10., 6., 40., 62.]], [1], flip=True)
    ]
    inputs = [img.clone() for img in batch['inputs']]
    embed_dim = roi.reid_head.embed_dim
    with torch.no_grad():
        data = model.data_preprocessor(
            dict(inputs=inputs, data_samples=samples), training=False)
        results = model.predict(data['inputs'], data['data_samples'])
        for result in results:
            pred = result.pred_instances
            assert pred.embeddings.shape == (len(pred.bboxes), embed_dim)
            if len(pred.bboxes):
                assert torch.allclose(
                    pred.embeddings.norm(dim=1), torch.ones(len(pred.bboxes)))
        query = results[0].pred_query_instances
        assert torch.equal(query.bboxes, torch.tensor(queries))
        assert query.embeddings.shape == (2, embed_dim)
        assert torch.allclose(query.embeddings.norm(dim=1), torch.ones(2))
        assert 'pred_query_instances' not in results[1]

        only_query = model.predict_query(data['inputs'], data['data_samples'])
        assert torch.allclose(
            only_query[0].pred_query_instances.embeddings, query.embeddings, atol=1e-5)


def test_stride_of_another_level_is_refused(batch):
    """A seg head pointed at conv2 (stride 4, 64 channels like conv1 of
    ResNet-18) while configured for stride 8 would build its box masks for
    the wrong cells; a fusion stride off by a level would misplace RoIs.
    Both stop with the level, the setting and both sizes named."""
    torch.manual_seed(0)
    cfg = tiny_model_cfg(VARIANTS['buff_tiny'])
    cfg.roi_head.seg_in_index = 1  # conv2, stride 4
    cfg.roi_head.seg_head.in_channels = 64
    model = MODELS.build(cfg)
    data = model.data_preprocessor(batch, training=True)
    input_h, input_w = data['data_samples'][0].batch_input_shape
    message = (rf'level 1 of the backbone output \(seg_head.featmap_stride\)'
               rf': the feature map is {input_h // 4}x{input_w // 4} for a '
               rf'padded batch input of {input_h}x{input_w}, but the '
               'configured stride 8')
    with pytest.raises(ValueError, match=message):
        model.loss(data['inputs'], data['data_samples'])

    cfg = tiny_model_cfg(VARIANTS['buff_tiny'])
    cfg.roi_head.reid_fusion.featmap_strides = (2, 4, 8, 8)  # conv4 is 16
    model = MODELS.build(cfg).eval()
    data = model.data_preprocessor(batch, training=False)
    with torch.no_grad(), pytest.raises(
            ValueError, match=r'level 3 .*reid_fusion.featmap_strides\[3\]'):
        model.predict(data['inputs'], data['data_samples'])


@pytest.mark.parametrize(
    'path', sorted((BUFF_DIR / 'table7').glob('*.py')), ids=lambda p: p.name)
def test_table7_heads_train_and_predict(path, batch):
    """The ``table7/`` configs change two heads of a paper row: the RPN conv
    width and the detection conv (1x1 with BN). Those heads, on the tiny
    model of the row's variant, train one step and predict."""
    full = Config.fromfile(path).model
    cfg = tiny_model_cfg(variant_of(path.name.replace('_rpn1024_detconv1x1', '')))
    cfg.rpn_head.feat_channels = full.rpn_head.feat_channels
    for key in ('conv_kernel_size', 'norm_cfg'):
        cfg.roi_head.bbox_head[key] = full.roi_head.bbox_head[key]
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    assert model.rpn_head.rpn_conv.out_channels == 1024
    det_conv = model.roi_head.bbox_head.conv
    assert det_conv.conv.kernel_size == (1, 1) and det_conv.with_norm

    model.train()
    data = model.data_preprocessor(batch, training=True)
    total, _ = model.parse_losses(model.loss(data['inputs'], data['data_samples']))
    assert math.isfinite(total.item())
    total.backward()
    assert det_conv.conv.weight.grad.abs().sum() > 0

    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(batch, training=False)
        results = model.predict(data['inputs'], data['data_samples'])
    embed_dim = model.roi_head.reid_head.embed_dim
    for result in results:
        pred = result.pred_instances
        assert pred.embeddings.shape == (len(pred.bboxes), embed_dim)


def trained_norms(model: torch.nn.Module) -> dict:
    """Name -> whether a BN layer trains (batch statistics in training mode
    and learnt affine parameters) for every BN of ``model`` in training
    mode; a BN either trains or is a constant affine transformation."""
    model.train()
    norms = {
        name: module
        for name, module in model.named_modules() if isinstance(module, _BatchNorm)
    }
    states = {
        name: (module.training, all(p.requires_grad for p in module.parameters()))
        for name, module in norms.items()
    }
    assert all(training == grad for training, grad in states.values())
    return {name: training for name, (training, _) in states.items()}


# config -> (BN layers that train, BN layers fixed), by module-name prefix;
# counts: ResNet-50 conv1..conv4 43 BNs (conv1's 1), T2..T4 12, conv5 10
BACKBONE = ('backbone.', )
REID_STREAM = ('roi_head.reid_fusion.', 'roi_head.reid_shared_head.')
BN_READINGS = {
    # paper rows: the backbone as in OIM, the re-ID stream trains
    'buff_baseline_r50_prw.py': (REID_STREAM, BACKBONE, 10, 43),
    'buff_r50_prw.py': (REID_STREAM, BACKBONE, 22, 43),
    # the other reading: every BN but conv1's trains
    'bn_reading/buff_baseline_r50_trainbn_prw.py':
    (BACKBONE + REID_STREAM, ('backbone.bn1', ), 52, 1),
    'bn_reading/buff_r50_trainbn_prw.py':
    (BACKBONE + REID_STREAM, ('backbone.bn1', ), 64, 1),
    # trained from scratch: every BN trains
    'buff_tiny_synthetic.py': (BACKBONE + REID_STREAM, (), 28, 0),
}


@pytest.mark.parametrize('name', sorted(BN_READINGS))
def test_bn_layers_that_train(name):
    """Sec. 5.2 fixes conv1 and "the BN layers" as in OIM and keeps "the
    other BN layers as normal" (configs/buff/README.md, "BatchNorm"): the
    paper rows freeze every backbone BN and train the re-ID stream's; the
    bn_reading/ pair trains every BN but conv1's."""
    train, fixed, num_train, num_fixed = BN_READINGS[name]
    cfg = Config.fromfile(BUFF_DIR / name)
    fill_num_person_ids(cfg, 3)
    model = MODELS.build(cfg.model)
    norms = trained_norms(model)
    trains = sorted(n for n, t in norms.items() if t)
    frozen = sorted(n for n, t in norms.items() if not t)
    assert len(trains) == num_train and len(frozen) == num_fixed
    assert all(n.startswith(train) and not n.startswith(fixed) for n in trains)
    assert all(n.startswith(fixed) for n in frozen)
    assert model.backbone.conv1.weight.requires_grad == (num_fixed == 0)
