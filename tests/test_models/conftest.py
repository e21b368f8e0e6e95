"""Fixtures of the model tests: the tiny OIM model (the two-image
``batch`` is in tests/conftest.py)."""
import pytest
import torch
from mmdet.registry import MODELS

from mmps.testing import tiny_model_cfg


@pytest.fixture
def tiny_model():
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg())
    model.init_weights()
    return model
