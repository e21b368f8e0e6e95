"""Fixtures of the model tests: a tiny OIM model and a two-image batch."""
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.registry import init_default_scope
from mmps_model_helpers import IMG_H, IMG_W, make_sample, tiny_model_cfg


@pytest.fixture(autouse=True, scope='session')
def mmdet_scope():
    """Build nested modules (e.g. DetDataPreprocessor) from mmdet."""
    init_default_scope('mmdet')


@pytest.fixture(scope='module')
def one_torch_thread():
    """Tiny convolutions run faster on one thread, above all on a shared
    machine where extra threads only contend. Modules opt in with
    ``pytestmark = pytest.mark.usefixtures('one_torch_thread')``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def tiny_model():
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg())
    model.init_weights()
    return model


@pytest.fixture
def batch():
    """Two images, persons labelled 0..3 or unlabelled (-1)."""
    torch.manual_seed(1)
    inputs = [torch.randint(0, 255, (3, IMG_H, IMG_W), dtype=torch.uint8)
              for _ in range(2)]
    samples = [
        make_sample([[4., 4., 30., 60.], [50., 2., 80., 58.]], [0, -1]),
        make_sample([[10., 6., 40., 62.], [60., 8., 90., 60.]], [3, 1]),
    ]
    return dict(inputs=inputs, data_samples=samples)
