"""Tests of init_searcher: the OIM lookup-table size and its errors."""
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

from mmps.apis import init_searcher
from mmps.apis.searcher import _num_person_ids_from_checkpoint
from mmps.models.losses import OIMLoss

from .conftest import CONFIG, EMBED_DIM, FAST_TEST_CFG, NUM_PERSON_IDS


def test_table_size_comes_from_the_checkpoint(checkpoint):
    searcher = init_searcher(CONFIG, checkpoint, cfg_options=FAST_TEST_CFG)
    assert not searcher.training
    loss = searcher.roi_head.reid_head.loss_reid
    assert loss.lut.shape == (NUM_PERSON_IDS, EMBED_DIM)
    assert (searcher.cfg.model.roi_head.reid_head.loss_reid.num_person_ids ==
            NUM_PERSON_IDS)


def test_checkpoint_without_table_is_refused(checkpoint, tmp_path):
    ckpt = torch.load(checkpoint)
    del ckpt['state_dict']['roi_head.reid_head.loss_reid.lut']
    path = str(tmp_path / 'no_lut.pth')
    torch.save(ckpt, path)
    with pytest.raises(ValueError, match='no OIM lookup table'):
        init_searcher(CONFIG, path)


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
    losses = nn.ModuleList([
        OIMLoss(num_features=4, queue_size=2),
        OIMLoss(num_features=4, queue_size=2)
    ])
    state = losses.state_dict()
    state['0.lut'] = torch.zeros(3, 4)
    state['1.lut'] = torch.zeros(5, 4)
    losses.load_state_dict(state)
    assert [loss.num_person_ids for loss in losses] == [3, 5]
    cfg = Config(
        dict(model=dict(losses=[dict(num_person_ids=None),
                                dict(num_person_ids=None)])))
    with pytest.raises(ValueError, match=r'several sizes \[3, 5\]'):
        _num_person_ids_from_checkpoint(cfg, losses, 'hand.pth')
    # every size set in the config: nothing to fill, nothing refused
    cfg.model.losses = [dict(num_person_ids=3), dict(num_person_ids=5)]
    _num_person_ids_from_checkpoint(cfg, losses, 'hand.pth')
