"""get_params.py and benchmark.py on the tiny OIM config, as command lines."""
import re

import pytest
from mmengine.config import Config

from mmps.datasets import ensure_synthetic_dataset
from mmps.testing import get_config_file, run_tool
from mmps.utils import build_person_search_model, fill_num_person_ids
from mmps.utils.model_stats import count_breakdown, count_module

TINY = get_config_file('oim/oim_tiny_synthetic.py')
# no training data there: the lookup-table size must come from the flag
NO_DATA = ['--cfg-options', 'train_dataloader.dataset.data_root=/nonexistent/']


def run_failing(tool, *args, env=None):
    """Run a tool expected to fail; return its stderr."""
    result = run_tool(f'analysis_tools/{tool}', *args, check=False, env=env)
    assert result.returncode != 0, result.stdout
    return result.stderr


def test_get_params_matches_a_hand_count():
    out = run_tool('analysis_tools/get_params.py', TINY, '--num-person-ids', '7').stdout
    cfg = Config.fromfile(TINY)
    fill_num_person_ids(cfg, 7)
    model = build_person_search_model(cfg, init_weights=False)
    total = sum(p.numel() for p in model.parameters())
    assert f'parameters: {total:,} ' in out
    assert re.search(rf'^total +{total:,} ', out, re.M)
    # the breakdown covers the model exactly once
    rows = count_breakdown(model)
    assert sum(row.params for row in rows) == total
    state = sum(v.numel() for v in model.state_dict().values())
    assert sum(row.buffers for row in rows) == state - total
    assert count_module(model).trainable == sum(p.numel() for p in model.parameters()
                                                if p.requires_grad)
    names = [row.name for row in rows]
    assert names == [
        'backbone', 'rpn_head', 'roi_head.shared_head', 'roi_head.bbox_head',
        'roi_head.reid_head'
    ]
    for name in names:
        assert re.search(rf'^{re.escape(name)} +[\d,]+ ', out, re.M)
    # lookup table and queue: buffers, listed apart
    assert 'roi_head.reid_head.loss_reid.lut (7, 64): 448' in out
    assert 'roi_head.reid_head.loss_reid.queue (500, 64): 32,000' in out


def test_get_params_needs_the_table_size_without_data():
    assert '--num-person-ids' in run_failing('get_params.py', TINY, *NO_DATA)


def test_get_params_reads_the_table_size_from_data(tmp_path):
    ensure_synthetic_dataset(str(tmp_path))
    out = run_tool('analysis_tools/get_params.py', TINY, '--cfg-options',
                   f'train_dataloader.dataset.data_root={tmp_path}/').stdout
    assert re.search(r'num_person_ids\): \d+ \(from the training data\)', out)


def test_benchmark_tiny():
    out = run_tool('analysis_tools/benchmark.py', TINY, '--shape', '64', '96',
                   '--iters', '1', '--warmup', '0', '--query-boxes', '3', '--threads',
                   '1').stdout
    assert 'device: cpu' in out and '1 CPU threads' in out
    ref = re.search(
        r'^faster-rcnn_r50-caffe_c4-1x_coco \(reference\) +'
        r'gallery +([\d.]+) s/img .* 1\.000 ', out, re.M)
    gallery = re.search(
        r'^oim_tiny_synthetic +gallery +([\d.]+) s/img +'
        r'[\d.]+ +([\d.]+) ', out, re.M)
    query = re.search(r'^oim_tiny_synthetic +query \(3 boxes\) +'
                      r'([\d.]+) s/box', out, re.M)
    assert ref and gallery and query, out
    ratio = float(gallery[1]) / float(ref[1])
    assert float(gallery[2]) == pytest.approx(ratio, abs=2e-3, rel=2e-2)


@pytest.mark.parametrize('argv, message', [
    (['no/such/config.py'], 'config file not found'),
    ([TINY, '--device', 'tpu'], "invalid choice: 'tpu'"),
    ([TINY, '--shape', '64'], 'expected 2 arguments'),
    ([TINY, '--shape', '64', 'x'], "invalid int value: 'x'"),
])
def test_benchmark_rejects_bad_input(argv, message):
    assert message in run_failing('benchmark.py', *argv)


def test_benchmark_cuda_without_gpu():
    # no GPU visible to the tool, whatever the machine has
    assert 'CUDA is not available' in run_failing(
        'benchmark.py', TINY, '--device', 'cuda', env=dict(CUDA_VISIBLE_DEVICES=''))


def test_get_params_rejects_a_missing_config():
    assert 'config file not found' in run_failing('get_params.py', 'no/such/config.py')


def test_benchmark_forced_detections_stages_and_memory_column():
    out = run_tool('analysis_tools/benchmark.py', TINY, '--shape', '64', '96',
                   '--iters', '1', '--warmup', '0', '--query-boxes', '2', '--threads',
                   '1', '--reference', 'none', '--force-detections', '4',
                   '--profile-stages', '--cfg-options',
                   'model.test_cfg.rpn.max_per_img=10').stdout
    assert ('oim_tiny_synthetic: 4 detections forced (score_thr=0, max_per_img=4) in '
            'model.test_cfg.rcnn') in out
    # 4 detections per image; peak memory not measured on CPU
    assert re.search(r'^oim_tiny_synthetic +gallery .* 10 +4\.0 +n/a$', out, re.M), out
    assert 'note:' not in out
    for mode, stages in (('gallery', ('preprocess', 'backbone\\+neck', 'heads')),
                         ('query', ('preprocess', 'backbone\\+neck', 'heads'))):
        for stage in stages:
            assert re.search(
                rf'^oim_tiny_synthetic +{mode} +{stage} +[\d.]+ s +'
                r'[\d.]+%$', out, re.M), out


def test_benchmark_cannot_force_detections_without_test_settings():
    err = run_failing('benchmark.py', TINY, '--reference', 'none', '--force-detections',
                      '3', '--cfg-options', 'model.test_cfg.rcnn=None')
    assert err.strip().splitlines()[-1] == (
        'error: oim_tiny_synthetic: cannot force detections: model has no '
        'test_cfg.rcnn (two-stage), no test_cfg with score_thr/max_per_img '
        '(one-stage) and no detector.test_cfg (two-step searcher)')
