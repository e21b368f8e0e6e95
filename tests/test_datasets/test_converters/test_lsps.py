"""The LSPS converter on miniature releases written by the synthetic
generator, its one-line errors, and its command line."""
import os
import os.path as osp
import re

import pytest

from mmps.datasets import PersonSearchDataset
from mmps.datasets.converters import convert_lsps
from mmps.datasets.converters.lsps import camera_of
from mmps.datasets.synthetic import write_lsps_release
from mmps.evaluation.functional import load_protocol
from mmps.testing import run_tool


@pytest.fixture
def lsps_root(tiny_scenes, tmp_path):
    """(root, manifest) of a fresh miniature LSPS release."""
    root = str(tmp_path / 'LSPS')
    return root, write_lsps_release(tiny_scenes, root)


def rewrite_line(path, number, edit):
    """Replace line ``number`` (1-based) of ``path`` by ``edit(line)``;
    return the original line's first field (a frame, except in
    ``query_info.txt``)."""
    with open(path, newline='') as f:
        lines = f.read().split('\n')
    frame = lines[number - 1].split('\t')[0]
    lines[number - 1] = edit(lines[number - 1])
    with open(path, 'w', newline='') as f:
        f.write('\n'.join(lines))
    return frame


@pytest.mark.parametrize('newline', ['\n', '\r\n'])
def test_lsps_round_trip(tiny_scenes, tmp_path, newline, load_converted,
                         check_against_manifest):
    root = str(tmp_path / 'LSPS')
    manifest = write_lsps_release(
        tiny_scenes, root, degenerate_every=5, newline=newline)
    stats = convert_lsps(root, verbose=False)
    train, test = load_converted(osp.join(root, 'mmps'))
    check_against_manifest(train, test, manifest, stats, lambda n: n)
    assert test['info']['dataset'] == 'lsps'
    assert test['protocol']['galleries'] == {}
    for data in (train, test):
        for img in data['images']:
            assert img['cam_id'] == manifest['cams'][img['file_name']]
            assert (img['height'], img['width']) == tiny_scenes.image_size
    # boxes come back as (x, y, w, h) from the release's x1 y1 x2 y2
    for plan in tiny_scenes.plans:
        data = train if plan.split == 'train' else test
        img = next(i for i in data['images']
                   if i['file_name'] == manifest['names'][plan.index])
        got = [(a['bbox'], a['person_id']) for a in data['annotations']
               if a['image_id'] == img['id']]
        assert got == [(list(p.bbox), p.person_id) for p in plan.persons]
    # the test split loads with the split folder as image prefix
    protocol = load_protocol(osp.join(root, 'mmps', 'test.json'))
    assert len(protocol.query_boxes) == len(tiny_scenes.queries)
    ds = PersonSearchDataset(
        data_root=root,
        ann_file='mmps/test.json',
        data_prefix=dict(img='test/'),
        test_mode=True,
        pipeline=[])
    assert len(ds) == manifest['num_images']['test']


def test_lsps_summary_and_command_line(lsps_root, load_converted):
    root, manifest = lsps_root
    result = run_tool('dataset_converters/lsps.py', root)
    assert 'LSPS conversion summary' in result.stdout
    assert 'schema check passed: 0 violations' in result.stdout
    train, _ = load_converted(osp.join(root, 'mmps'))
    assert len(train['annotations']) == manifest['num_boxes']['train']
    # a bad line: one error line naming the file, the line and the frame
    path = osp.join(root, 'train_frame_id.txt')
    frame = rewrite_line(path, 2, lambda line: line + '\t7')
    result = run_tool('dataset_converters/lsps.py', root, check=False)
    assert result.returncode == 1
    assert result.stderr.count('\n') == 1
    assert f'error: {path}:2: frame {frame}: ' in result.stderr


@pytest.mark.parametrize('file_name, number, edit, message', [
    ('train_frame_coord.txt', 1, lambda line: line + '9\t',
     r'\d+ coordinates, not a multiple of 4 \(x1 y1 x2 y2 per box\)'),
    ('test_frame_coord.txt', 3, lambda line: line.replace('\t', '\tx1', 1),
     r"coordinate 'x1\d+' is not a finite number"),
    ('train_frame_id.txt', 2, lambda line: line.rsplit('\t', 1)[0],
     r'\d person id\(s\) in train_frame_id.txt for \d box\(es\) in '
     r'train_frame_coord.txt'),
    ('test_frame_id.txt', 1, lambda line: line + '\tnone',
     "person id 'none' is not an integer"),
    ('train_shape.txt', 4, lambda line: line.split('\t')[0] + '\t96',
     'expected at least 2 values after the frame name, got 1'),
    ('train_shape.txt', 2, lambda line: line.split('\t')[0] + '\t90\t128',
     r'height 90, width 128, but the image is 96x128 \(HxW\)'),
    ('test_shape.txt', 2, lambda line: line.replace('test_', 'gone_', 1),
     'no such image in .*test'),
    ('query_info.txt', 1, lambda line: line.rsplit('\t', 1)[0],
     'expected 6 fields "id frame x1 y1 x2 y2", got 5'),
    ('query_info.txt', 2, lambda line: '999\t' + line.split('\t', 1)[1],
     'person id 999 labels no box of the frame in test_frame_id.txt'),
])
def test_lsps_malformed_line_is_named(lsps_root, file_name, number, edit, message):
    root, _ = lsps_root
    path = osp.join(root, file_name)
    with open(path) as f:
        fields = edit(f.read().split('\n')[number - 1]).split('\t')
    frame = fields[1] if file_name == 'query_info.txt' else fields[0]
    rewrite_line(path, number, edit)
    with pytest.raises(ValueError) as err:
        convert_lsps(root, verbose=False)
    text = str(err.value)
    assert '\n' not in text
    assert re.fullmatch(
        rf'{re.escape(path)}:{number}: frame {re.escape(frame)}: {message}', text), text
    assert not osp.exists(osp.join(root, 'mmps'))


def test_lsps_frame_listed_twice_or_without_shape(lsps_root):
    root, _ = lsps_root
    path = osp.join(root, 'train_frame_coord.txt')
    with open(path) as f:
        first = f.read().split('\n')[0]
    with open(path, 'a') as f:
        f.write(first + '\n')
    frame = first.split('\t')[0]
    with pytest.raises(
            ValueError, match=rf':\d+: frame {frame}: listed twice '
            r'\(first at line 1\)'):
        convert_lsps(root, verbose=False)
    os.remove(path)
    with pytest.raises(
            FileNotFoundError,
            match='LSPS train_frame_coord.txt not found: expected it at'):
        convert_lsps(root, verbose=False)


def test_lsps_frame_without_shape_line(lsps_root):
    root, manifest = lsps_root
    path = osp.join(root, 'test_shape.txt')
    frame = rewrite_line(path, 1, lambda line: '')
    with pytest.raises(
            ValueError, match=rf'test_shape.txt: frame {frame} \(in .*\) has no line'):
        convert_lsps(root, verbose=False)


def test_lsps_query_box_and_frame_errors(lsps_root):
    root, _ = lsps_root
    path = osp.join(root, 'query_info.txt')
    with open(path) as f:
        fields = f.read().split('\n')[0].split('\t')
    x1, y1 = fields[2], fields[3]
    rewrite_line(path, 1, lambda line: '\t'.join(fields[:4] + [x1, y1]))
    with pytest.raises(
            ValueError,
            match=rf'{re.escape(path)}:1: frame {fields[1]}: '
            r'query box .* has x2 <= x1 or y2 <= y1'):
        convert_lsps(root, verbose=False)
    rewrite_line(path, 1, lambda line: '\t'.join([fields[0], 'nope.jpg'] + fields[2:]))
    with pytest.raises(ValueError, match=r':1: frame nope.jpg: no such image in'):
        convert_lsps(root, verbose=False)


def test_lsps_camera_is_the_third_field():
    assert camera_of('test_000012_7_0.jpg') == 7
    assert camera_of('a_b_12.jpg') == 12
    with pytest.raises(ValueError, match="'ab_3.jpg' has no integer third"):
        camera_of('ab_3.jpg')


def test_lsps_missing_root():
    with pytest.raises(FileNotFoundError, match='LSPS root not found'):
        convert_lsps('/nonexistent/LSPS')
