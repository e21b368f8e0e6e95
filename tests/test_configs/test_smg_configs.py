"""The SMG configs: each row's alpha (mask_subset), depth and branch, the
recipe of Sec. 4.2, and the full-size parameter counts."""
import pytest
from mmdet.registry import MODELS
from mmengine.config import Config

from mmps.testing import get_config_file
from mmps.utils import fill_num_person_ids

# config -> (mask_subset fraction (None: every mask), ResNet depth, branch)
SMG_CONFIGS = {
    'smg_r50_c4_cuhk_sysu.py': (None, 50, True),
    'smg_r50_c4_alpha03_cuhk_sysu.py': (0.03, 50, True),
    'smg_r50_c4_alpha06_cuhk_sysu.py': (0.06, 50, True),
    'smg_r50_c4_alpha09_cuhk_sysu.py': (0.09, 50, True),
    'smg_r50_c4_alpha12_cuhk_sysu.py': (0.12, 50, True),
    'smg_r50_c4_alpha15_cuhk_sysu.py': (0.15, 50, True),
    'smg_r101_c4_cuhk_sysu.py': (None, 101, True),
    'smg_r50_c4_nomask_cuhk_sysu.py': (None, 50, False),
    'smg_tiny_synthetic.py': (0.25, 18, True),
}


def _train_sets(cfg):
    dataset = cfg.train_dataloader.dataset
    return dataset.datasets if dataset.type == 'ConcatDataset' else [dataset]


@pytest.mark.parametrize('name', sorted(SMG_CONFIGS))
def test_each_row_reads_back_its_alpha_depth_and_branch(name):
    fraction, depth, branch = SMG_CONFIGS[name]
    cfg = Config.fromfile(get_config_file(f'smg/{name}'))
    roi = cfg.model.roi_head
    assert cfg.model.backbone.depth == roi.shared_head.depth == depth
    assert (roi.get('mask_head') is not None) == branch
    assert roi.type == ('SMGRoIHead' if branch else 'PersonSearchRoIHead')
    assert roi.get('mask_roi_extractor') is None  # the branch reads F_p
    for train_set in _train_sets(cfg):
        subset = train_set.get('mask_subset')
        assert (subset and subset.fraction) == fraction
        assert subset is None or subset.seed == 0
        load = [
            s for s in train_set.pipeline if s.type == 'LoadPersonSearchAnnotations'
        ]
        assert load[0].with_mask and not load[0].poly2mask
    if branch:
        head = roi.mask_head
        assert (head.type, head.num_convs, head.num_classes, head.class_agnostic) \
            == ('FCNMaskHead', 0, 1, True)
        assert head.loss_mask.use_mask and head.loss_mask.loss_weight == 1.0
        # 2m x 2m targets: m = 7 (full size), 4 (tiny)
        assert cfg.model.train_cfg.rcnn.mask_size == (8 if depth == 18 else 14)


@pytest.mark.parametrize('name', sorted(n for n in SMG_CONFIGS if 'cuhk' in n))
def test_full_size_rows_follow_the_recipe_of_section_4_2(name):
    cfg = Config.fromfile(get_config_file(f'smg/{name}'))
    assert cfg.optim_wrapper.optimizer == dict(
        type='SGD', lr=0.0004, momentum=0.9, weight_decay=5e-4)
    assert 'clip_grad' not in cfg.optim_wrapper
    assert [s.type for s in cfg.param_scheduler] == ['MultiStepLR']  # no warm-up
    assert cfg.param_scheduler[0].milestones == [4, 8]
    assert cfg.train_cfg.max_epochs == 12
    assert cfg.train_dataloader.batch_size == 1
    flips = []
    for train_set in _train_sets(cfg):
        assert train_set.ann_file == 'mmps/train_maskps.json'
        resize = [s for s in train_set.pipeline if s.type == 'Resize'][0]
        assert min(resize.scale) == 600  # shorter side 600
        flips += [s.prob for s in train_set.pipeline if s.type == 'RandomFlip']
    assert flips == [0.0, 1.0]  # each image as is and flipped
    oim = cfg.model.roi_head.reid_head.loss_reid
    assert (oim.scalar, oim.momentum, oim.queue_size) == (30.0, 0.5, 5000)
    if '101' in name:
        url = 'https://download.pytorch.org/models/resnet101-63fe2227.pth'
        assert cfg.model.backbone.init_cfg.checkpoint == url
        assert cfg.model.roi_head.shared_head.init_cfg.checkpoint == url


@pytest.mark.parametrize('name, expected', [
    ('smg_r50_c4_cuhk_sysu.py', 35_657_618),
    ('smg_r101_c4_cuhk_sysu.py', 54_649_746),
    ('smg_r50_c4_nomask_cuhk_sysu.py', 33_559_953),
])
def test_full_size_parameter_counts(name, expected):
    """OIM R50 (33,559,953) + the branch (2,097,665); R101 adds 17 res4
    blocks (18,992,128); the control is OIM's count."""
    cfg = Config.fromfile(get_config_file(f'smg/{name}'))
    fill_num_person_ids(cfg, 5532)
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) == expected
