"""The analysis tools write their PNGs from a results pickle."""
import json
import pickle
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from mmps.evaluation.functional import (check_record, evaluate_results,
                                        load_protocol, summarize)
from .synthetic import make_split

TOOLS = Path(__file__).resolve().parents[2] / 'tools' / 'analysis_tools'


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    ann, records = make_split()
    root = tmp_path_factory.mktemp('vis')
    (root / 'test.json').write_text(json.dumps(ann))
    with open(root / 'res.pkl', 'wb') as f:
        pickle.dump(records, f)
    return root, ann


def test_search_hits_grid(files):
    root, ann = files
    tool = runpy.run_path(str(TOOLS / 'vis_search_results.py'))
    out = root / 'hits.png'
    with pytest.warns(UserWarning, match='blank canvas'):
        tool['main']([str(root / 'test.json'), str(root / 'res.pkl'),
                      '--queries', '0', '1', '--topk', '3', '--out',
                      str(out)])
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    # the hit labels follow the protocol: at most one true hit per image
    protocol = load_protocol(ann)
    with open(root / 'res.pkl', 'rb') as f:
        records = {i: check_record(r) for i, r in enumerate(pickle.load(f))}
    hits = tool['rank_query'](protocol, records, 0, None, 0.5, 10)
    sims = [h[2] for h in hits]
    assert sims == sorted(sims, reverse=True) and len(hits) == 10
    true_imgs = [h[0] for h in hits if h[3]]
    assert len(true_imgs) == len(set(true_imgs)) >= 1
    assert all(protocol.query_pids[0] in protocol.gt_pids[
        protocol.gt_imgs == i] for i in true_imgs)


@pytest.mark.parametrize('args, message', [
    (['--gallery-size', '50'], "error: gallery size 50 is not in the "
     "'synthetic' protocol (available: 3, 6, full)"),
    (['--queries', '0', '6'], "error: query index 6 out of range: the "
     "'synthetic' protocol has 6 queries (valid indices: 0 to 5)"),
    (['--queries', '-1', '9'], 'error: query indices -1, 9 out of range'),
    (['--topk', '0'], 'error: topk must be at least 1, got 0'),
])
def test_search_hits_bad_request_exits_before_reading(files, args, message):
    # the results file does not exist: the check comes before any work
    root, _ = files
    tool = runpy.run_path(str(TOOLS / 'vis_search_results.py'))
    with pytest.raises(SystemExit) as exc:
        tool['main']([str(root / 'test.json'), str(root / 'missing.pkl')] +
                     args)
    assert str(exc.value.code).startswith(message)
    assert '\n' not in str(exc.value.code)


def test_search_hits_bad_request_exit_status(files):
    # exit status 1, one line on stderr, no traceback
    root, _ = files
    proc = subprocess.run(
        [sys.executable, str(TOOLS / 'vis_search_results.py'),
         str(root / 'test.json'), str(root / 'missing.pkl'), '--queries',
         '0', '7'], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "error: query index 7 out of range: the 'synthetic' protocol has 6 "
        'queries (valid indices: 0 to 5)']


def test_check_vis_args(files):
    _, ann = files
    tool = runpy.run_path(str(TOOLS / 'vis_search_results.py'))
    protocol = load_protocol(ann)
    assert tool['check_vis_args'](protocol, [0, 5]) == 'full'
    assert tool['check_vis_args'](protocol, [1], 3, topk=2) == '3'
    with pytest.raises(ValueError, match='gallery size 100 is not'):
        tool['check_vis_args'](protocol, [0], 100)


def test_gallery_size_curve(files):
    root, _ = files
    tool = runpy.run_path(str(TOOLS / 'gallery_size_curve.py'))
    out = root / 'curve.png'
    tool['main']([str(root / 'test.json'), str(root / 'res.pkl'), '--top1',
                  '--out', str(out)])
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    protocol = load_protocol(str(root / 'test.json'))
    with open(root / 'res.pkl', 'rb') as f:
        records = pickle.load(f)
    sizes, maps, top1 = tool['gallery_curve'](records, protocol)
    flat = summarize(evaluate_results(records, protocol), protocol)
    assert sizes == [3, 6]
    assert maps == pytest.approx([flat['mAP_3'], flat['mAP_6']])
    assert top1 == pytest.approx([flat['top1_3'], flat['top1_6']])


def test_benchmark_tool_agrees_on_a_small_case(capsys):
    tool = runpy.run_path(str(TOOLS / 'benchmark_eval.py'))
    spec = dict(name='tiny', num_queries=40, num_images=60, num_ids=40,
                occurrences=(2, 4), sizes=(10, 30))
    args = type('Args', (), dict(loop_queries=40, dim=16, seed=3))
    tool['bench'](spec, args)
    tool['bench'](spec, args, cross_camera=True)
    out = capsys.readouterr().out
    assert out.count('CMC identical: True') == 2
    assert 'same APs as the core: True' in out
