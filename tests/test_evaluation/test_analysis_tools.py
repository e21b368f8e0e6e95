"""The evaluation analysis tools as command lines: the hits picture, the
gallery-size curve, the offline re-evaluation and the evaluator benchmark."""
import json
import pickle

import cv2
import pytest

from mmps.evaluation.functional import (evaluate_results, format_table, load_protocol,
                                        summarize)
from mmps.testing import last_line, make_search_split, run_tool

PNG = b'\x89PNG\r\n\x1a\n'


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    ann, records = make_search_split()
    root = tmp_path_factory.mktemp('vis')
    (root / 'test.json').write_text(json.dumps(ann))
    with open(root / 'res.pkl', 'wb') as f:
        pickle.dump(records, f)
    return root, ann, records


def test_search_hits_grid(files):
    root, _, _ = files
    out = root / 'hits.png'
    result = run_tool('analysis_tools/vis_search_results.py', str(root / 'test.json'),
                      str(root / 'res.pkl'), '--queries', '0', '1', '--topk', '3',
                      '--panel-height', '64', '--out', str(out))
    # the synthetic split names images that are not on disk
    assert 'drawing on a blank canvas' in result.stderr
    assert f'saved {out}' in result.stdout
    assert out.read_bytes()[:8] == PNG
    # two rows of 64-pixel panels under 22-pixel captions, 6 pixels apart;
    # four 400 x 300 images per row, 85 pixels wide each
    assert cv2.imread(str(out)).shape == (2 * 86 + 6, 4 * 85 + 3 * 6, 3)


@pytest.mark.parametrize('args, message', [
    (['--queries', '0', '6'], "error: query index 6 out of range: the "
     "'synthetic' protocol has 6 queries (valid indices: 0 to 5)"),
    (['--panel-height', '0'], 'error: PersonSearchVisualizer needs '
     'panel_height >= 1'),
])
def test_search_hits_bad_request_exits_before_reading(files, args, message):
    # the results file does not exist: the check comes before any work;
    # exit status 1, one line on stderr, no traceback (every message of
    # the check: tests/test_visualization/test_protocol_hits.py)
    root, _, _ = files
    result = run_tool(
        'analysis_tools/vis_search_results.py',
        str(root / 'test.json'),
        str(root / 'missing.pkl'),
        *args,
        check=False)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert last_line(result).startswith(message)


def test_gallery_size_curve(files):
    root, _, records = files
    out = root / 'curve.png'
    result = run_tool('analysis_tools/gallery_size_curve.py', str(root / 'test.json'),
                      str(root / 'res.pkl'), '--top1', '--labels', 'tiny', '--out',
                      str(out))
    assert out.read_bytes()[:8] == PNG
    protocol = load_protocol(str(root / 'test.json'))
    flat = summarize(evaluate_results(records, protocol), protocol)
    assert (f'tiny 3:{100 * flat["mAP_3"]:.2f} 6:{100 * flat["mAP_6"]:.2f}'
            in result.stdout)


def test_gallery_size_curve_needs_gallery_sizes(files, tmp_path):
    root, ann, _ = files
    ann = dict(ann, protocol=dict(ann['protocol'], galleries={}))
    (tmp_path / 'prw_like.json').write_text(json.dumps(ann))
    result = run_tool(
        'analysis_tools/gallery_size_curve.py',
        str(tmp_path / 'prw_like.json'),
        str(root / 'res.pkl'),
        '--out',
        str(tmp_path / 'c.png'),
        check=False)
    assert result.returncode == 1
    assert last_line(result) == (
        "error: the 'synthetic' protocol has no gallery sizes (e.g. PRW "
        'searches every other image)')


def test_eval_results_prints_the_table(files):
    root, _, records = files
    result = run_tool('analysis_tools/eval_results.py', str(root / 'test.json'),
                      str(root / 'res.pkl'), '--labeled', '--cross-camera')
    protocol = load_protocol(str(root / 'test.json'))
    report = evaluate_results(records, protocol, labeled=True, cross_camera=True)
    assert format_table(report, protocol) in result.stdout
    assert 'detection (IoU 0.5, score >= 0.01)' in result.stdout
    assert 'gallery detections with score >= 0.5' in result.stdout


@pytest.mark.parametrize('args, message', [
    (['--gallery-sizes', '50'], 'error: gallery size 50 is not in the'),
    (['--cbgm', '--cbgm-k1', '0'], 'error: CBGM needs cbgm_k1 >= 1'),
])
def test_eval_results_bad_request(files, args, message):
    root, _, _ = files
    result = run_tool(
        'analysis_tools/eval_results.py',
        str(root / 'test.json'),
        str(root / 'res.pkl'),
        *args,
        check=False)
    assert result.returncode == 1
    assert last_line(result).startswith(message)


def test_benchmark_tool_agrees_on_a_small_case():
    result = run_tool('analysis_tools/benchmark_eval.py', '--cases', 'tiny',
                      'tiny-cross', '--loop-queries', '40', '--dim', '16', '--seed',
                      '3')
    out = result.stdout
    assert out.count('CMC identical: True') == 2
    assert out.count('same APs as the core: True') == 2
    assert 'tiny cross-camera: 40 queries, 60 images' in out


def test_benchmark_tool_rejects_too_many_loop_queries():
    result = run_tool(
        'analysis_tools/benchmark_eval.py',
        '--cases',
        'tiny',
        '--loop-queries',
        '41',
        check=False)
    assert result.returncode == 2
    assert last_line(result).endswith(
        "error: loop_queries must be 1 to 40 for case 'tiny', got 41")
