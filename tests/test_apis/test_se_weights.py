"""Fig. 6 of MGTS: SE weight statistics of the fusion, per crop, and the
tool that prints them."""
import json
import os.path as osp
import runpy
import sys

import pytest
import torch
from mmengine.config import Config

from mmps.apis.se_weights import collect_se_weights, se_weight_statistics
from mmps.testing import get_config_file, get_repo_root, run_tool
from mmps.utils import build_person_search_model, fill_num_person_ids


def test_statistics_by_hand():
    weights = torch.tensor([[0.9, 0.8, 0.1, 0.2], [0.1, 0.3, 0.9, 0.5]])
    stats = se_weight_statistics(weights, top_k=2)
    assert stats['avg_f'].tolist() == pytest.approx([0.85, 0.2])
    assert stats['avg_o'].tolist() == pytest.approx([0.15, 0.7])
    assert stats['n_top_f'].tolist() == [2, 0]


def _tiny_cfg(root, name='mgts/mgts_reid_tiny_synthetic.py'):
    cfg = Config.fromfile(get_config_file(name))
    cfg.train_dataloader.update(batch_size=4)
    cfg.train_dataloader.dataset.data_root = root
    return cfg


def test_collects_one_value_per_crop(tiny_root):
    torch.manual_seed(0)
    stats = collect_se_weights(_tiny_cfg(tiny_root), max_batches=2, top_k=20)
    assert {k: v.shape for k, v in stats.items()} == {k: (8, ) for k in stats}
    assert ((stats['n_top_f'] >= 0) & (stats['n_top_f'] <= 20)).all()
    assert ((stats['avg_f'] > 0) & (stats['avg_f'] < 1)).all()


@pytest.mark.parametrize('streams', [('F', ), ('O', 'F')])
def test_only_f_then_o_has_fig_6_weights(tiny_root, streams):
    cfg = _tiny_cfg(tiny_root)
    cfg.model.reid.update(streams=streams)
    cfg.model.reid.reid_head.in_channels = 512 * len(streams)
    with pytest.raises(
            ValueError,
            match=r'weighs the F and O streams, this model has .*: give a '
            r"two-stream config \(streams=\('F', 'O'\)\)"):
        collect_se_weights(cfg, max_batches=1)


def test_tool_prints_the_fig_6_statistics(tiny_root, tmp_path):
    cfg = _tiny_cfg(tiny_root)
    fill_num_person_ids(cfg)
    checkpoint = str(tmp_path / 'reid.pth')
    torch.save(dict(state_dict=build_person_search_model(cfg).state_dict()), checkpoint)
    out = str(tmp_path / 'se.json')
    result = run_tool('analysis_tools/mgts_se_weights.py',
                      get_config_file('mgts/mgts_reid_tiny_synthetic.py'), checkpoint,
                      '--max-batches', '1', '--out', out, '--cfg-options',
                      f'train_dataloader.dataset.data_root={tiny_root}',
                      'train_dataloader.batch_size=4')
    lines = result.stdout.strip().splitlines()
    assert lines[-2].startswith('crops: 4; Avg(F) > Avg(O) for ')
    assert lines[-1].startswith('N20(F) histogram (0..20): [')
    with open(out) as f:
        assert len(json.load(f)['n_top_f']) == 4


def test_tool_refuses_a_one_stream_model_in_one_line(tiny_root, tmp_path, monkeypatch):
    cfg = _tiny_cfg(tiny_root)
    cfg.model.reid.update(streams=('F', ))
    cfg.model.reid.reid_head.in_channels = 512
    fill_num_person_ids(cfg)
    checkpoint = str(tmp_path / 'reid.pth')
    torch.save(dict(state_dict=build_person_search_model(cfg).state_dict()), checkpoint)
    monkeypatch.setattr(sys, 'argv', [
        'mgts_se_weights.py',
        get_config_file('mgts/mgts_reid_tiny_synthetic.py'), checkpoint,
        '--cfg-options', 'model.reid.streams=[F]',
        'model.reid.reid_head.in_channels=512',
        f'train_dataloader.dataset.data_root={tiny_root}'
    ])
    tool = runpy.run_path(
        osp.join(get_repo_root(), 'tools', 'analysis_tools', 'mgts_se_weights.py'))
    with pytest.raises(
            SystemExit,
            match=r"^error: Fig. 6 weighs the F and O streams, "
            r"this model has \('F',\)"):
        tool['main']()
