import importlib.util
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# A tiny split: every test here runs in well under a second on it.
TINY = dict(
    seed=3,
    num_train_images=24,
    num_test_images=12,
    num_train_ids=6,
    num_test_ids=3,
    image_size=(96, 128),
    num_cameras=3,
    gallery_sizes=(4, 8))


def load_tool(rel_path: str):
    """Import a script under tools/ as a module."""
    path = osp.join(REPO, rel_path)
    name = osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(f'_tool_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def tiny_scenes():
    from mmps.datasets.synthetic import build_synthetic_scenes
    return build_synthetic_scenes(**TINY)


@pytest.fixture(scope='session')
def tiny_root(tmp_path_factory):
    from mmps.datasets.synthetic import make_synthetic_dataset
    root = str(tmp_path_factory.mktemp('synthetic'))
    make_synthetic_dataset(root, **TINY)
    return root
