"""Every config parses, builds its model, and has a unique basename (mim finds
configs by basename)."""
import os.path as osp
from collections import Counter
from glob import glob

import pytest
from mmengine.config import Config

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    path for path in glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in path.split(osp.sep))


def test_config_basenames_are_unique():
    counts = Counter(osp.basename(path) for path in CONFIGS)
    assert CONFIGS
    assert [name for name, count in counts.items() if count > 1] == []


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO_ROOT))
def test_config_builds_model(path):
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    import mmps  # noqa: F401
    register_all_modules()
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmdet'
    assert cfg.custom_imports['imports'] == ['mmps']
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0


def test_no_config_loads_weights_through_torchvision():
    """mmengine's ``torchvision://`` scheme imports torchvision, which mmps
    does not install (its PyPI wheel replaces the CPU build of torch):
    configs give the download URL of the same weights instead."""
    every_file = glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    offenders = []
    for path in every_file:
        with open(path) as f:
            if 'torchvision://' in f.read():
                offenders.append(osp.relpath(path, REPO_ROOT))
    assert every_file and offenders == []


def test_pretrained_weights_load_without_torchvision(tmp_path, monkeypatch):
    """The pretrained URL of the ResNet-50 configs is torchvision's
    ImageNet ResNet-50 (what ``torchvision://resnet50`` resolved to) and
    loads, from the torch hub cache where a torchvision download would have
    put it, while torchvision cannot be imported."""
    import sys

    import torch
    from mmengine.runner import CheckpointLoader

    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'buff', 'buff_r50_prw.py'))
    url = 'https://download.pytorch.org/models/resnet50-0676ba61.pth'
    assert cfg.pretrained == url
    roi = cfg.model.roi_head
    for init_cfg in (cfg.model.backbone.init_cfg, roi.reid_fusion.init_cfg,
                     roi.reid_shared_head.init_cfg):
        assert init_cfg == dict(type='Pretrained', checkpoint=url)
    oim = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'oim', 'oim_r50_c4_prw.py'))
    assert oim.model.backbone.init_cfg.checkpoint == url
    assert oim.model.roi_head.shared_head.init_cfg.checkpoint == url

    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    monkeypatch.setitem(sys.modules, 'torchvision', None)  # import fails
    cached = tmp_path / 'hub' / 'checkpoints' / osp.basename(url)
    cached.parent.mkdir(parents=True)
    weights = {'conv1.weight': torch.ones(2, 3, 7, 7)}
    torch.save(weights, cached)
    loaded = CheckpointLoader.load_checkpoint(url, map_location='cpu')
    assert torch.equal(loaded['conv1.weight'], weights['conv1.weight'])
