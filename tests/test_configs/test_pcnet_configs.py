"""The PCNet configs: each table row is the diff it claims, the recipe of
Sec. 4.2, the tiny variant, and the light model's parameter count."""
import pytest
from mmengine.config import Config

from mmps.testing import get_config_file
from mmps.utils import build_person_search_model, fill_num_person_ids
from mmps.utils.model_stats import count_breakdown, count_module

# row config -> (parent, the flattened diff of its model's head)
ROWS = {
    'pcnet_cpp_r50_prw.py': ('pcnet_r50_prw.py', {
        'loss_dist': None,
        'with_csa': False,
        'loss_tri': None
    }),
    'pcnet_cpp_dist_r50_prw.py': ('pcnet_r50_prw.py', {
        'with_csa': False,
        'loss_tri': None
    }),
    'pcnet_cpp_dist_csa_r50_prw.py': ('pcnet_r50_prw.py', {
        'loss_tri': None
    }),
    'pcnet_conv3x3_r50_prw.py': ('pcnet_r50_prw.py', {
        'reid_branch': 'conv3x3',
        'loss_dist': None
    }),
    'pcnet_plain_r50_prw.py': ('pcnet_r50_prw.py', {
        'reid_branch': 'plain',
        'loss_dist': None,
        'with_csa': False,
        'loss_tri': None
    }),
    'pcnet_detfirst_reg_r50_prw.py': ('pcnet_r50_prw.py', {
        'det_input': 'reg_tower'
    }),
    'pcnet_detfirst_cls_r50_prw.py': ('pcnet_r50_prw.py', {
        'det_input': 'cls_tower'
    }),
    'pcnet_parallel_r50_prw.py': ('pcnet_r50_prw.py', {
        'det_input': 'pyramid',
        'reid_branch': 'conv3x3',
        'loss_dist': None,
        'with_csa': False,
        'loss_tri': None
    }),
    'pcnet_parallel_cpp_r50_prw.py': ('pcnet_r50_prw.py', {
        'det_input': 'pyramid',
        'with_csa': False,
        'loss_tri': None
    }),
    'pcnet_light_r50_prw.py': ('pcnet_r50_prw.py', {
        'feat_channels': 64,
        'stacked_convs': 1,
        'shared_tower': True,
        'gallery_cluster_iou': None
    }),
    'pcnet_dagger_r50_prw.py': ('pcnet_r50_prw.py', {
        'anchor_generator.ratios': [1.0, 2.0],
        'anchor_generator.scales_per_octave': 2
    }),
    'pcnet_dagger_r50_cuhk_sysu.py': ('pcnet_r50_cuhk_sysu.py', {
        'anchor_generator.ratios': [1.0, 2.0],
        'anchor_generator.scales_per_octave': 2
    }),
    'pcnet_dagger_r50_lsps.py': ('pcnet_r50_lsps.py', {
        'anchor_generator.ratios': [1.0, 2.0],
        'anchor_generator.scales_per_octave': 2
    }),
}


def load(name):
    return Config.fromfile(get_config_file(f'pcnet/{name}'))


def flatten(node, prefix=''):
    if not isinstance(node, dict):
        return {prefix.rstrip('.'): node}
    flat = {}
    for key, value in node.items():
        flat.update(flatten(value, f'{prefix}{key}.'))
    return flat


@pytest.mark.parametrize('name', sorted(ROWS))
def test_row_is_its_diff(name):
    parent_name, diff = ROWS[name]
    cfg, parent = load(name), load(parent_name)
    head, parent_head = flatten(cfg.model.bbox_head), flatten(parent.model.bbox_head)
    changed = {
        key: value
        for key, value in head.items()
        if key not in parent_head or parent_head[key] != value
    }
    # a switched-off loss drops the keys below it
    dropped = {key for key in parent_head if key not in head}
    assert changed == diff
    assert all(any(key.startswith(off + '.') for off in diff) for key in dropped)
    assert {k: v for k, v in cfg.items() if k != 'model'} == \
        {k: v for k, v in parent.items() if k != 'model'}
    assert {k: v for k, v in cfg.model.items() if k != 'bbox_head'} == \
        {k: v for k, v in parent.model.items() if k != 'bbox_head'}


def test_roialign_row_reads_the_pyramid_with_genericroiextractor():
    head = load('pcnet_roialign_r50_prw.py').model.bbox_head
    assert (head.det_input, head.reid_branch) == ('pyramid', 'roialign')
    assert head.loss_dist is None and head.loss_tri is None and not head.with_csa
    extractor = head.roi_extractor
    assert extractor.type == 'GenericRoIExtractor' and extractor.aggregation == 'sum'
    assert extractor.featmap_strides == [8, 16, 32, 64, 128]
    assert extractor.pre_cfg.type == 'ConvModule' and extractor.pre_cfg.kernel_size == 3


@pytest.mark.parametrize('dataset, lr, iters, milestones, data_root', [
    ('prw', 1e-4, 70000, [60000], 'data/PRW/'),
    ('cuhk_sysu', 5e-5, 60000, [50000], 'data/CUHK-SYSU/'),
    ('lsps', 1e-4, 120000, [80000, 100000], None),
])
def test_full_configs_follow_sec_4_2(dataset, lr, iters, milestones, data_root):
    cfg = load(f'pcnet_r50_{dataset}.py')
    head = cfg.model.bbox_head
    assert head.reid_branch == 'cpp' and head.det_input == 'reid'
    assert head.stacked_convs == 4 and head.feat_channels == 256
    assert head.anchor_generator.ratios == [2.0]
    assert head.anchor_generator.scales_per_octave == 1
    assert head.loss_dist.num_sets == 3 and head.loss_tri.margin == 0.5
    assert head.gallery_cluster_iou == 0.6 and head.query_match == 'predicted'
    assert head.loss_reid.queue_size == 5000 and head.loss_reid.scalar == 30.0
    assert cfg.model.test_cfg.nms.iou_threshold == 0.4
    assert cfg.model.test_cfg.score_thr == 0.05
    assert cfg.model.neck.start_level == 1 and cfg.model.neck.num_outs == 5
    assert cfg.model.backbone.frozen_stages == 1
    resize = [s for s in cfg.train_dataloader.dataset.pipeline if s.type == 'Resize']
    assert resize[0].scale == (1333, 800)
    assert any(s.type == 'RandomFlip' for s in cfg.train_dataloader.dataset.pipeline)
    resize = [s for s in cfg.test_dataloader.dataset.pipeline if s.type == 'Resize']
    assert resize[0].scale == (1333, 800)
    assert cfg.train_dataloader.batch_size == 4
    optim = cfg.optim_wrapper
    assert optim.optimizer.lr == lr and optim.optimizer.momentum == 0.9
    assert optim.optimizer.weight_decay == 1e-4
    assert optim.paramwise_cfg == dict(bias_lr_mult=2.0, bias_decay_mult=0.0)
    assert optim.clip_grad == dict(type='value', clip_value=5)
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
    assert cfg.train_cfg.max_iters == iters
    warmup, steps = cfg.param_scheduler
    assert warmup.start_factor == pytest.approx(1 / 3) and warmup.end == 500
    assert steps.milestones == milestones and steps.end == iters
    assert not cfg.default_hooks.checkpoint.by_epoch
    if data_root is not None:
        assert cfg.train_dataloader.dataset.data_root == data_root


def test_tiny_config_is_the_issue_tiny_variant():
    cfg = load('pcnet_tiny_synthetic.py')
    model = cfg.model
    assert model.backbone.depth == 18 and model.backbone.init_cfg is None
    assert model.neck.out_channels == 64 and model.neck.num_outs == 3
    head = model.bbox_head
    assert head.in_channels == 64 and head.loss_reid.num_features == 64
    assert (head.stacked_convs, head.feat_channels, head.shared_tower) == (1, 32, True)
    assert head.anchor_generator.strides == [8, 16, 32]
    assert head.loss_reid.queue_size == 500
    # re-ID losses scaled down for training from scratch (README)
    assert head.loss_dist.loss_weight == 0.02
    assert head.loss_reid.loss_weight == head.loss_tri.loss_weight == 0.05
    # AdamW and focal alpha 0.5 for the short training from scratch (README)
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == 'AdamW'
    assert (optimizer.lr, optimizer.weight_decay) == (1e-3, 1e-4)
    assert 'momentum' not in optimizer
    assert head.loss_cls.alpha == 0.5
    assert cfg.train_cfg.max_epochs == 12


def test_light_model_parameters_match_the_hand_count():
    """tools/analysis_tools/get_params.py's breakdown on the light row,
    against the hand count of Table 4's PCNet (30.3 M in the paper)."""
    cfg = load('pcnet_light_r50_prw.py')
    fill_num_person_ids(cfg, 483)
    model = build_person_search_model(cfg, init_weights=False)
    rows = {row.name: row for row in count_breakdown(model)}
    total = count_module(model, 'total')
    # ResNet-50 without fc; FPN 256-d P3-P7 with P6 from P5
    assert rows['backbone'].params == 23_508_032
    assert rows['neck'].params == 3_868_672
    # CPP (256-d offset branch, 5 Scales, 5 deformable convs) 3,580,695;
    # CSA (phi, psi, 5 s_l) 131,589; two BN1d(256) 1,024; one 64-d tower
    # 147,520; classifier 577; regressor 2,308
    head = model.bbox_head
    assert sum(p.numel() for p in head.cpp.parameters()) == 3_580_695
    assert sum(p.numel() for p in head.csa.parameters()) == 131_589
    assert rows['bbox_head'].params == 3_863_713 == (3_580_695 + 131_589 + 1_024 +
                                                     147_520 + 577 + 2_308)
    assert total.params == 31_240_417
    # frozen: stem + res2 (222,400) and the affine BN weights (53,120)
    assert total.params - total.trainable == 222_400 + 53_120
