"""The OIM configs: full-size model, lookup-table sizing, frozen layers."""
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

from mmps.testing import get_config_file
from mmps.utils import fill_num_person_ids

# config -> OIM queue size
OIM_CONFIGS = {
    'oim_r50_c4_cuhk_sysu.py': 5000,
    'oim_r50_c4_prw.py': 500,
    'oim_tiny_synthetic.py': 500,
}


def test_fill_num_person_ids_sizes_the_lookup_table():
    cfg = Config(
        dict(
            model=Config.fromfile(get_config_file(
                '_base_/models/oim_r50_c4.py')).model))
    assert cfg.model.roi_head.reid_head.loss_reid.num_person_ids is None
    assert fill_num_person_ids(cfg, 5532) == 5532
    model = MODELS.build(cfg.model)
    oim = model.roi_head.reid_head.loss_reid
    assert oim.lut.shape == (5532, 256)
    assert oim.queue.shape == (5000, 256)
    # full-size OIM (ResNet-50 C4, 1024-channel RPN, 256-d embedding); the
    # lookup table and queue are buffers, not parameters
    num_params = sum(p.numel() for p in model.parameters())
    assert num_params == 33_559_953
    assert sum(p.numel() for p in model.roi_head.reid_head.parameters()) \
        == 2048 * 256 + 256


@pytest.mark.parametrize('name', sorted(OIM_CONFIGS))
def test_oim_configs_build(name):
    cfg = Config.fromfile(get_config_file(f'oim/{name}'))
    fill_num_person_ids(cfg, 7)
    model = MODELS.build(cfg.model)
    oim = model.roi_head.reid_head.loss_reid
    assert oim.lut.shape[0] == 7
    assert oim.queue_size == OIM_CONFIGS[name]
    assert isinstance(oim.queue_ptr, torch.Tensor)


def test_fill_num_person_ids_leaves_other_models_alone():
    """Configs without an unsized lookup table (e.g. a stock mmdet detector)
    are not touched, and no training dataset is built for them."""
    cfg = Config(
        dict(
            model=dict(type='RetinaNet', bbox_head=dict(num_classes=1)),
            train_dataloader=dict(dataset=dict(type='NoSuchDataset'))))
    assert fill_num_person_ids(cfg) is None
    assert cfg.model.to_dict() == dict(type='RetinaNet', bbox_head=dict(num_classes=1))


def test_oim_freezes_conv1_and_every_batchnorm():
    """OIM: conv1 and its BN are fixed; the other BNs are frozen affine
    layers (fixed statistics and parameters); every other conv trains."""
    cfg = Config.fromfile(get_config_file('_base_/models/oim_r50_c4.py'))
    fill_num_person_ids(cfg, 3)
    model = MODELS.build(cfg.model)
    model.train()
    backbone = model.backbone
    assert not backbone.conv1.weight.requires_grad
    assert backbone.layer1[0].conv1.weight.requires_grad
    assert model.roi_head.shared_head.layer4[0].conv1.weight.requires_grad
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms and all(not m.training for m in norms)
    assert all(not p.requires_grad for m in norms for p in m.parameters())
