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
