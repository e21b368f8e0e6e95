"""The MGTS configs: crop settings shared by pipeline and model, the rows'
streams and gamma, CNNv's size, the tiny detector's origin."""
import pytest
from mmdet.registry import MODELS
from mmengine.config import Config

from mmps.models.reid import crop_settings
from mmps.testing import get_config_file
from mmps.utils import fill_num_person_ids

# config -> (streams, gamma, mask)
REID_ROWS = {
    'mgts_reid_o_r50_cuhk_sysu.py': (('O', ), 1.0, None),
    'mgts_reid_f_r50_cuhk_sysu.py': (('F', ), 1.0, 'instance'),
    'mgts_reid_b_r50_cuhk_sysu.py': (('B', ), 1.0, 'instance'),
    'mgts_reid_oe_r50_cuhk_sysu.py': (('O', ), 1.3, None),
    'mgts_reid_be_r50_cuhk_sysu.py': (('B', ), 1.3, 'instance'),
    'mgts_reid_ofe_r50_cuhk_sysu.py': (('F', 'O'), 1.3, 'instance'),
    'mgts_reid_ofe_g10_r50_cuhk_sysu.py': (('F', 'O'), 1.0, 'instance'),
    'mgts_reid_ofe_g11_r50_cuhk_sysu.py': (('F', 'O'), 1.1, 'instance'),
    'mgts_reid_ofe_g12_r50_cuhk_sysu.py': (('F', 'O'), 1.2, 'instance'),
    'mgts_reid_ofe_g14_r50_cuhk_sysu.py': (('F', 'O'), 1.4, 'instance'),
    'mgts_reid_ofe_g15_r50_cuhk_sysu.py': (('F', 'O'), 1.5, 'instance'),
    'mgts_reid_ofe_boxmask_r50_cuhk_sysu.py': (('F', 'O'), 1.3, 'box'),
    'mgts_reid_o_r50_prw.py': (('O', ), 1.0, None),
    'mgts_reid_ofe_r50_prw.py': (('F', 'O'), 1.3, 'instance'),
    'mgts_reid_tiny_synthetic.py': (('F', 'O'), 1.3, 'instance'),
    'mgts_search_vgg16_o_cuhk_sysu.py': (('O', ), 1.0, None),
    'mgts_search_vgg16_ofe_cuhk_sysu.py': (('F', 'O'), 1.3, 'instance'),
    'mgts_search_vgg16_o_prw.py': (('O', ), 1.0, None),
    'mgts_search_vgg16_ofe_prw.py': (('F', 'O'), 1.3, 'instance'),
    'mgts_search_vgg16_ofe_boxmask_cuhk_sysu.py': (('F', 'O'), 1.3, 'box'),
    'mgts_search_vgg16_ofe_onlineseg_cuhk_sysu.py': (('F', 'O'), 1.3, 'instance'),
    'mgts_search_tiny_synthetic.py': (('F', 'O'), 1.3, 'instance'),
}


def _cfg(name):
    return Config.fromfile(get_config_file(f'mgts/{name}'))


@pytest.mark.parametrize('name', sorted(REID_ROWS))
def test_pipeline_crops_with_the_model_crop_settings(name):
    cfg = _cfg(name)
    streams, gamma, mask = REID_ROWS[name]
    reid = cfg.model.reid
    assert tuple(reid.streams) == streams
    assert reid.reid_head.in_channels == (2048
                                          if 'tiny' not in name else 512) * len(streams)
    expected = crop_settings(reid.crop_cfg)
    assert expected['expand_ratio'] == gamma and expected['mask'] == mask
    crops = [
        s for s in cfg.train_dataloader.dataset.pipeline if s.type == 'CropPersonPatch'
    ]
    assert len(crops) == 1
    assert crop_settings(crops[0]) == expected
    # instance maps are loaded exactly when instance masks are asked for,
    # in training and (unless a segmentor paints them) in test
    loaders = [s.type for s in cfg.train_dataloader.dataset.pipeline]
    assert ('LoadInstanceMap' in loaders) == (mask == 'instance')
    test_loaders = [s.type for s in cfg.test_dataloader.dataset.pipeline]
    online = cfg.model.get('segmentor') is not None
    assert ('LoadInstanceMap' in test_loaders) == (mask == 'instance' and not online)


@pytest.mark.parametrize('name', [n for n in REID_ROWS if 'tiny' not in n])
def test_full_size_rows_follow_sec_4_3(name):
    cfg = _cfg(name)
    reid = cfg.model.reid
    assert tuple(reid.crop_cfg.size) == (256, 128)
    assert reid.reid_head.embed_dim == 128 and reid.reid_head.bias is False
    oim = reid.reid_head.loss_reid
    assert (oim.queue_size, oim.momentum, oim.scalar) == (5000, 0.5, 30.0)
    if 'search' not in name:
        assert cfg.train_dataloader.batch_size == 128
        assert cfg.optim_wrapper.optimizer.lr == 1e-3
        assert cfg.train_cfg.max_epochs == 15
        scheduler = cfg.param_scheduler[0]  # x0.1 after epoch 11
        assert (scheduler.by_epoch, scheduler.milestones,
                scheduler.gamma) == (True, [11], 0.1)
    resize = [s for s in cfg.test_dataloader.dataset.pipeline if s.type == 'Resize']
    assert resize[0].scale == (1500, 900)


@pytest.mark.parametrize('name',
                         ['mgts_det_vgg16_cuhk_sysu.py', 'mgts_det_vgg16_prw.py'])
def test_cnnv_schedule_and_scale_follow_sec_4_3(name):
    cfg = _cfg(name)
    assert cfg.train_dataloader.batch_size == 1
    assert cfg.optim_wrapper.optimizer.lr == 1e-3
    assert cfg.train_cfg.max_iters == 100_000
    scheduler = cfg.param_scheduler[0]
    assert (scheduler.by_epoch, scheduler.milestones,
            scheduler.gamma) == (False, [60_000, 80_000], 0.1)
    for loader in (cfg.train_dataloader, cfg.test_dataloader):
        resize = [s for s in loader.dataset.pipeline if s.type == 'Resize']
        assert [s.scale for s in resize] == [(1500, 900)]


def test_cnnv_parameter_count():
    cfg = _cfg('mgts_det_vgg16_cuhk_sysu.py')
    model = MODELS.build(cfg.model)
    count = sum(p.numel() for p in model.parameters())
    conv = sum(p.numel() for p in model.backbone.parameters())
    rpn = sum(p.numel() for p in model.rpn_head.parameters())
    roi = sum(p.numel() for p in model.roi_head.parameters())
    assert (count, conv, rpn, roi) == (136_668_019, 14_714_688, 2_382_893, 119_570_438)
    assert model.rpn_head.num_base_priors == 9
    assert cfg.model.test_cfg.rcnn.nms.iou_threshold == 0.45
    assert cfg.model.test_cfg.rpn.nms.iou_threshold == 0.7


def test_search_config_is_cnnv_plus_the_reid_row():
    search = _cfg('mgts_search_vgg16_ofe_cuhk_sysu.py')
    reid = _cfg('mgts_reid_ofe_r50_cuhk_sysu.py')
    det = _cfg('mgts_det_vgg16_cuhk_sysu.py')
    assert search.model.reid == reid.model.reid
    assert search.model.detector == det.model
    pipeline = search.test_dataloader.dataset.pipeline
    assert pipeline == reid.test_dataloader.dataset.pipeline


def test_tiny_detector_is_the_oim_tiny_model_without_reid():
    det = _cfg('mgts_det_tiny_synthetic.py').model.to_dict()
    oim = Config.fromfile(get_config_file('oim/oim_tiny_synthetic.py')).model.to_dict()
    del oim['roi_head']['reid_head']
    oim['type'], oim['roi_head']['type'] = 'FasterRCNN', 'StandardRoIHead'
    assert det == oim
    search = _cfg('mgts_search_tiny_synthetic.py')
    assert search.model.detector.to_dict() == det


def test_tiny_reid_step_builds_and_fills_the_lookup_table():
    cfg = _cfg('mgts_reid_tiny_synthetic.py')
    fill_num_person_ids(cfg, 25)
    model = MODELS.build(cfg.model)
    assert model.reid.reid_head.loss_reid.lut.shape == (25, 64)
    assert model.detector is None


@pytest.mark.parametrize('name', [
    'mgts_det_vgg16_cuhk_sysu.py', 'mgts_det_vgg16_prw.py',
    'mgts_search_vgg16_o_cuhk_sysu.py', 'mgts_search_vgg16_ofe_prw.py'
])
def test_cnnv_asks_for_anchor_scales_from_the_training_heights(name):
    """Deviation 2: 9 anchors, ratios 0.5/1/2, three scales from the 1st to
    the 99th height percentile, kept in the checkpoint by the RPN head."""
    model = _cfg(name).model
    rpn = model.get('detector', model).rpn_head
    assert rpn.type == 'PersistentAnchorRPNHead'
    assert rpn.anchor_generator.ratios == [0.5, 1.0, 2.0]
    assert rpn.anchor_generator.scales == dict(
        type='height_percentiles', percentiles=(1, 99), num=3)
