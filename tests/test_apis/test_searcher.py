"""Tests of init_searcher: the OIM lookup-table size, strict checkpoint
loading, devices, and their errors."""
import re

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.model import BaseModule

from mmps.apis import init_searcher
from mmps.models.losses import OIMLoss
from mmps.utils.model_builder import _fill_from_model
from .conftest import (BUFF_BASELINE_CONFIG, BUFF_CONFIG, CONFIG, EMBED_DIM,
                       FAST_TEST_CFG, FIXED_IDS, NUM_PERSON_IDS, SMOKE_CONFIG)


def test_table_size_comes_from_the_checkpoint(checkpoint):
    searcher = init_searcher(CONFIG, checkpoint, cfg_options=FAST_TEST_CFG)
    assert not searcher.training
    loss = searcher.roi_head.reid_head.loss_reid
    assert loss.lut.shape == (NUM_PERSON_IDS, EMBED_DIM)
    assert (searcher.cfg.model.roi_head.reid_head.loss_reid.num_person_ids ==
            NUM_PERSON_IDS)


def test_checkpoint_with_an_empty_table_is_refused(checkpoint, tmp_path):
    """A checkpoint of a model whose table was never sized (no training)."""
    ckpt = torch.load(checkpoint)
    ckpt['state_dict']['roi_head.reid_head.loss_reid.lut'] = torch.zeros(0, EMBED_DIM)
    path = str(tmp_path / 'empty_lut.pth')
    torch.save(ckpt, path)
    with pytest.raises(ValueError, match='holds no identity table'):
        init_searcher(CONFIG, path)


def test_checkpoint_with_a_missing_key_is_refused(checkpoint, tmp_path):
    ckpt = torch.load(checkpoint)
    del ckpt['state_dict']['roi_head.reid_head.loss_reid.lut']
    path = str(tmp_path / 'no_lut.pth')
    torch.save(ckpt, path)
    with pytest.raises(ValueError) as error:
        init_searcher(CONFIG, path)
    assert str(error.value) == (
        f'checkpoint {path} does not match the config {CONFIG}: model keys '
        'missing from it (1): roi_head.reid_head.loss_reid.lut. It holds the '
        'weights of another model: use the config it was trained with')


@pytest.mark.parametrize(
    'config, ckpt, cfg_options, expected',
    [
        # the reviewers' cases: BUFF weights through the OIM and the BUFF
        # baseline configs, OIM weights through the BUFF config
        (CONFIG, 'buff', {},
         r': model keys missing from it \(32\): roi_head.reid_head.fc.bias, '
         r'.* and 29 more; keys not in the model \(84\): .* and 81 more; '
         r'tensors of another shape \(8\): rpn_head.rpn_cls.weight \(checkpoint '
         r'\(16, 128, 1, 1\), model \(12, 128, 1, 1\)\), .*; '
         r'roi_head.reid_head.loss_reid.lut of the loaded state dict has shape '
         r'\(5, 512\), but this OIMLoss has num_features=64'),
        (BUFF_BASELINE_CONFIG, 'buff', {},
         r'config \S+buff_baseline_tiny_synthetic.py: keys not in the model '
         r'\(\d+\): roi_head.reid_fusion.layer1.0.bn1.bias, .* and \d+ more\. '
         'It holds the weights of another model'),
        (BUFF_CONFIG, 'oim', {}, r': model keys missing from it \(\d+\): '),
        # one layer of another width
        (CONFIG, 'oim', {
            'model.rpn_head.feat_channels': 64
        }, r': tensors of another shape \(4\): rpn_head.rpn_conv.weight '
         r'\(checkpoint \(128, 256, 3, 3\), model \(64, 256, 3, 3\)\), .* and 1 '
         r'more\. It holds'),
        # another embedding size: the OIM table is refused too
        (CONFIG, 'oim', {
            'model.roi_head.reid_head.embed_dim': 32,
            'model.roi_head.reid_head.loss_reid.num_features': 32
        }, r'roi_head.reid_head.loss_reid.lut of the loaded state dict has shape '
         r'\(5, 64\), but this OIMLoss has num_features=32'),
    ],
    ids=[
        'buff_into_oim', 'buff_into_buff_baseline', 'oim_into_buff', 'rpn_width',
        'embedding_size'
    ])
def test_checkpoint_of_another_model_is_refused(checkpoint, buff_checkpoint, config,
                                                ckpt, cfg_options, expected):
    path = checkpoint if ckpt == 'oim' else buff_checkpoint
    with pytest.raises(ValueError, match='does not match the config') as error:
        init_searcher(config, path, cfg_options=cfg_options)
    assert re.search(expected, str(error.value)), str(error.value)


def test_wrapped_model_checkpoint_loads(searcher, checkpoint, tmp_path):
    """Keys saved from a distributed wrapper (``module.`` prefix) load."""
    ckpt = torch.load(checkpoint)
    ckpt['state_dict'] = {
        f'module.{key}': value
        for key, value in ckpt['state_dict'].items()
    }
    path = str(tmp_path / 'wrapped.pth')
    torch.save(ckpt, path)
    loaded = init_searcher(CONFIG, path)
    for key, value in searcher.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key


@pytest.mark.parametrize(
    'device, message',
    [
        ('tpu', "unknown device 'tpu'"),
        # no skip on a GPU machine: there the device does not exist
        ('cuda:99', "device 'cuda:99' does not exist"
         if torch.cuda.is_available() else "device 'cuda:99' needs CUDA"),
    ])
def test_unavailable_device_is_refused(checkpoint, device, message):
    with pytest.raises(ValueError, match=message):
        init_searcher(CONFIG, checkpoint, device=device)


def test_no_checkpoint_and_no_training_data_is_refused(tmp_path):
    missing = {'train_dataloader.dataset.data_root': str(tmp_path / 'absent')}
    with pytest.raises(ValueError, match='training data .* cannot be read'):
        init_searcher(CONFIG, cfg_options=missing)


def test_missing_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError):
        init_searcher(CONFIG, str(tmp_path / 'absent.pth'))


def test_tables_of_several_sizes_are_refused():
    """Two OIM losses whose tables, loaded from a hand-made state dict,
    differ in size: the config's None cannot be filled from them."""
    losses = nn.ModuleList(
        [OIMLoss(num_features=4, queue_size=2),
         OIMLoss(num_features=4, queue_size=2)])
    state = losses.state_dict()
    state['0.lut'] = torch.zeros(3, 4)
    state['1.lut'] = torch.zeros(5, 4)
    losses.load_state_dict(state)
    assert [loss.num_person_ids for loss in losses] == [3, 5]
    cfg = Config(
        dict(model=dict(losses=[dict(
            num_person_ids=None), dict(num_person_ids=None)])))
    with pytest.raises(ValueError, match=r'several sizes \[3, 5\]'):
        _fill_from_model(cfg, losses, 'hand.pth')
    # every size set in the config: nothing to fill, nothing refused
    cfg.model.losses = [dict(num_person_ids=3), dict(num_person_ids=5)]
    _fill_from_model(cfg, losses, 'hand.pth')


def test_without_checkpoint_the_model_is_initialised(monkeypatch):
    """``init_weights()`` runs, so a composite config's parts load their
    ``init_cfg`` (here: the Normal(0, 0.01) of the embedding layer)."""
    calls = []
    init_weights = BaseModule.init_weights

    def spy(module):
        calls.append(type(module).__name__)
        return init_weights(module)

    monkeypatch.setattr(BaseModule, 'init_weights', spy)
    torch.manual_seed(0)
    searcher = init_searcher(CONFIG, cfg_options=FIXED_IDS)
    assert calls[0] == 'PersonSearchTwoStage'
    fc = searcher.roi_head.reid_head.fc
    assert fc.bias.abs().max() == 0  # Normal init sets the bias to 0
    assert 0.005 < fc.weight.std().item() < 0.015


def test_test_only_config_works_with_a_checkpoint(checkpoint, tmp_path):
    """No train_dataloader: the identity count comes from the checkpoint;
    without one, the error names the missing training split."""
    cfg = Config.fromfile(CONFIG)
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper', 'param_scheduler'):
        cfg.pop(key, None)
    searcher = init_searcher(cfg, checkpoint, cfg_options=FAST_TEST_CFG)
    assert searcher.roi_head.reid_head.loss_reid.num_person_ids == \
        NUM_PERSON_IDS
    with pytest.raises(ValueError, match='has no train_dataloader'):
        init_searcher(cfg)


def test_a_detector_config_is_no_searcher(smoke_checkpoint):
    with pytest.raises(ValueError) as error:
        init_searcher(SMOKE_CONFIG, smoke_checkpoint)
    assert str(error.value).startswith(
        'the RetinaNet model of this config gives no '
        'pred_instances.embeddings: it is not a person-search model')
