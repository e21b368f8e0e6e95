"""Every config parses, builds its model, imports mmps and has a unique
basename (mim finds configs by basename)."""
import os.path as osp
import sys
from collections import Counter
from glob import glob

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.runner import CheckpointLoader

from mmps.testing import get_config_file, get_repo_root

CONFIG_ROOT = osp.join(get_repo_root(), 'configs')
CONFIGS = sorted(
    osp.relpath(path, CONFIG_ROOT)
    for path in glob(osp.join(CONFIG_ROOT, '**', '*.py'), recursive=True)
    if '_base_' not in path.split(osp.sep))
RESNET50_URL = 'https://download.pytorch.org/models/resnet50-0676ba61.pth'


def test_config_basenames_are_unique():
    counts = Counter(osp.basename(path) for path in CONFIGS)
    assert CONFIGS
    assert [name for name, count in counts.items() if count > 1] == []


@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds_model(name):
    cfg = Config.fromfile(get_config_file(name))
    runtime = Config.fromfile(get_config_file('_base_/default_runtime.py'))
    assert cfg.default_scope == 'mmdet'
    assert cfg.custom_imports == runtime.custom_imports
    assert cfg.custom_hooks == runtime.custom_hooks
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0


def test_no_config_loads_weights_through_torchvision():
    """mmengine's ``torchvision://`` scheme imports torchvision, which mmps
    does not install (its PyPI wheel replaces the CPU build of torch):
    configs give the download URL of the same weights instead."""
    every_file = glob(osp.join(CONFIG_ROOT, '**', '*.py'), recursive=True)
    offenders = []
    for path in every_file:
        with open(path) as f:
            if 'torchvision://' in f.read():
                offenders.append(osp.relpath(path, CONFIG_ROOT))
    assert every_file and offenders == []


def test_pretrained_weights_load_without_torchvision(tmp_path, monkeypatch):
    """The pretrained URL of the ResNet-50 configs is torchvision's
    ImageNet ResNet-50 (what ``torchvision://resnet50`` resolved to) and
    loads, from the torch hub cache where a torchvision download would have
    put it, while torchvision cannot be imported."""
    cfg = Config.fromfile(get_config_file('buff/buff_r50_prw.py'))
    assert cfg.pretrained == RESNET50_URL
    roi = cfg.model.roi_head
    for init_cfg in (cfg.model.backbone.init_cfg, roi.reid_fusion.init_cfg,
                     roi.reid_shared_head.init_cfg):
        assert init_cfg == dict(type='Pretrained', checkpoint=RESNET50_URL)
    oim = Config.fromfile(get_config_file('oim/oim_r50_c4_prw.py'))
    assert oim.model.backbone.init_cfg.checkpoint == RESNET50_URL
    assert oim.model.roi_head.shared_head.init_cfg.checkpoint == RESNET50_URL

    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    monkeypatch.setitem(sys.modules, 'torchvision', None)  # import fails
    cached = tmp_path / 'hub' / 'checkpoints' / osp.basename(RESNET50_URL)
    cached.parent.mkdir(parents=True)
    weights = {'conv1.weight': torch.ones(2, 3, 7, 7)}
    torch.save(weights, cached)
    loaded = CheckpointLoader.load_checkpoint(RESNET50_URL, map_location='cpu')
    assert torch.equal(loaded['conv1.weight'], weights['conv1.weight'])
