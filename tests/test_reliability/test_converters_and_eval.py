"""The converters and the offline evaluation stop with one line naming the
file, and the line for text files, and write nothing (issue #18, section
4). Each test writes a miniature release or a results pickle, then breaks
one file."""
import json
import os
import os.path as osp
import pickle

import numpy as np
import pytest

from mmps.datasets.synthetic import write_cuhk_sysu_release, write_prw_release
from mmps.testing import make_search_split, run_tool


def _one_line_error(result, status=1):
    """The single stderr line of a tool that failed with ``status`` and
    printed nothing else."""
    assert result.returncode == status, result.stdout + result.stderr
    assert result.stdout == ''
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def _truncate(path):
    """Keep the first half of ``path``; returns its new size."""
    with open(path, 'rb') as f:
        raw = f.read()
    with open(path, 'wb') as f:
        f.write(raw[:len(raw) // 2])
    return len(raw) // 2


def test_cuhk_sysu_truncated_mat_is_named(tiny_scenes, tmp_path):
    root = str(tmp_path / 'CUHK-SYSU')
    write_cuhk_sysu_release(tiny_scenes, root)
    path = osp.join(root, 'annotation', 'Images.mat')
    size = _truncate(path)
    line = _one_line_error(
        run_tool('dataset_converters/cuhk_sysu.py', root, check=False))
    assert line.startswith(f'cuhk_sysu.py: error: {path}: truncated MATLAB file '
                           f'({size} bytes, ')
    assert not osp.exists(osp.join(root, 'mmps'))


def test_prw_truncated_mat_is_named(tiny_scenes, tmp_path):
    """scipy's own message ("could not read bytes" and the like) names no
    file."""
    root = str(tmp_path / 'PRW')
    write_prw_release(tiny_scenes, root)
    ann_dir = osp.join(root, 'annotations')
    path = osp.join(ann_dir, sorted(os.listdir(ann_dir))[0])
    size = _truncate(path)
    line = _one_line_error(run_tool('dataset_converters/prw.py', root, check=False))
    assert line.startswith(f'prw.py: error: {path}: cannot read this MATLAB file '
                           f'({size} bytes; ')
    assert not osp.exists(osp.join(root, 'mmps'))


def _break_query_line(path, edit, newline):
    """Apply ``edit`` to the fields of the second query line of a release
    written with ``newline``; returns the expected message after
    ``'<path>:2: '``."""
    with open(path, 'rb') as f:
        lines = f.read().decode().split(newline)
    fields = lines[1].split()
    if edit == 'abc':
        fields[2] = 'abc'
        expected = "y = 'abc' is not a finite number"
    elif edit == 'nan':
        fields[3] = 'nan'
        expected = "w = 'nan' is not a finite number"
    else:
        fields = fields[:5]
        expected = f'expected 6 fields "id x y w h frame", got 5: {" ".join(fields)!r}'
    lines[1] = ' '.join(fields)
    with open(path, 'wb') as f:
        f.write(newline.join(lines).encode())
    return expected


@pytest.mark.parametrize('edit, newline', [('abc', '\r\n'), ('nan', '\n'),
                                           ('five_fields', '\r\n')])
def test_prw_bad_query_line_names_file_and_line(tiny_scenes, tmp_path, edit, newline):
    """The release ends its lines with CRLF; LF counts the same lines."""
    root = str(tmp_path / 'PRW')
    write_prw_release(tiny_scenes, root, newline=newline)
    path = osp.join(root, 'query_info.txt')
    expected = _break_query_line(path, edit, newline)
    line = _one_line_error(run_tool('dataset_converters/prw.py', root, check=False))
    assert line == f'prw.py: error: {path}:2: {expected}'
    assert not osp.exists(osp.join(root, 'mmps'))


@pytest.fixture
def search_files(tmp_path):
    """(annotation file, results pickle, records) of a small test split."""
    ann, records = make_search_split()
    ann_file = tmp_path / 'test.json'
    ann_file.write_text(json.dumps(ann))
    results = tmp_path / 'results.pkl'
    with open(results, 'wb') as f:
        pickle.dump(records, f)
    return str(ann_file), str(results), records


@pytest.mark.parametrize('kind', ['malformed_record', 'truncated_pickle'])
def test_eval_results_bad_results_file_is_one_line(search_files, tmp_path, kind):
    ann_file, results, records = search_files
    if kind == 'malformed_record':
        records[3]['scores'] = records[3]['scores'][:2]
        with open(results, 'wb') as f:
            pickle.dump(records, f)
        expected = 'error: image 103: 4 bboxes but 2 scores'
    else:
        _truncate(results)
        expected = f'error: {results}: not a results pickle ('
    out = tmp_path / 'metrics.json'
    line = _one_line_error(
        run_tool(
            'analysis_tools/eval_results.py',
            ann_file,
            results,
            '--json',
            str(out),
            check=False))
    assert line.startswith(expected)
    assert not out.exists()


def test_eval_results_says_when_no_detection_passes_the_threshold(search_files):
    """Detection scores lie in [0.55, 1): a search threshold of 1 keeps
    none, and the all-zero search rows come with the reason."""
    ann_file, results, records = search_files
    top = max(float(np.max(r['scores'])) for r in records)
    result = run_tool('analysis_tools/eval_results.py', ann_file, results,
                      '--search-score-thr', '1')
    rows = [line.split() for line in result.stdout.splitlines()]
    assert [r[1] for r in rows if r and r[0] in ('3', '6', 'full')] == ['0.00'] * 3
    assert result.stdout.splitlines()[-1] == (
        f'note: no gallery detection scores >= search_score_thr 1.0 (highest '
        f'{top:.4g} of 40 detections): the search rows are 0 because nothing '
        'passes the threshold; lower it or check the detector')
