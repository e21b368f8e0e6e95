"""Broken data is found when the dataset is built or checked, not after the
inference pass, and every error is one line naming the file (issue #18,
section 3)."""
import json
import os
import os.path as osp
import shutil

import pytest

from mmps.datasets import PersonSearchDataset
from mmps.testing import run_tool


def _test_split(tiny_root):
    with open(osp.join(tiny_root, 'annotations', 'test.json')) as f:
        return json.load(f)


def _write(path, data):
    with open(path, 'w') as f:
        json.dump(data, f)
    return str(path)


def _build_test_split(ann_file, img_dir):
    return PersonSearchDataset(
        ann_file=ann_file, data_prefix=dict(img=img_dir), test_mode=True, pipeline=[])


def _listing(folder):
    """(relative path, size) of every file under ``folder``."""
    return sorted((osp.relpath(osp.join(d, n), folder), osp.getsize(osp.join(d, n)))
                  for d, _, names in os.walk(folder) for n in names)


def _one_line_error(result, status):
    """The single stderr line of a tool that failed with ``status`` and
    printed nothing else."""
    assert result.returncode == status, result.stdout + result.stderr
    assert result.stdout == ''
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_test_split_without_protocol_fails_when_built(tiny_root, tmp_path):
    data = _test_split(tiny_root)
    del data['protocol']
    ann_file = _write(tmp_path / 'test.json', data)
    with pytest.raises(ValueError) as err:
        _build_test_split(ann_file, osp.join(tiny_root, 'images'))
    message = str(err.value)
    assert '\n' not in message
    assert message.startswith(f'{ann_file}: test_mode=True but the file has no '
                              'protocol queries')


@pytest.mark.parametrize('where', ['queries', 'galleries'])
def test_unknown_protocol_image_id_fails_when_built(tiny_root, tmp_path, where):
    """Today's message, after the pass, blamed the results ("from a
    different dataset"); now the annotation file is named before it."""
    data = _test_split(tiny_root)
    if where == 'queries':
        data['protocol']['queries'][1]['image_id'] = 10**6
        expected = 'protocol.queries[1] names image id 1000000'
    else:
        size = sorted(data['protocol']['galleries'])[0]
        data['protocol']['galleries'][size][2][0] = 10**6
        expected = f'protocol.galleries["{size}"] names image id 1000000'
    ann_file = _write(tmp_path / 'test.json', data)
    with pytest.raises(ValueError) as err:
        _build_test_split(ann_file, osp.join(tiny_root, 'images'))
    message = str(err.value)
    assert '\n' not in message and 'different dataset' not in message
    assert message.startswith(f'{ann_file}: {expected}, which is not in "images"')


def _empty_test_image(tiny_root, tmp_path):
    """A copy of the images with one test image cut to 0 bytes; (image
    folder, its index in ``images``, its path)."""
    img_dir = str(tmp_path / 'images')
    shutil.copytree(osp.join(tiny_root, 'images'), img_dir)
    data = _test_split(tiny_root)
    k = len(data['images']) - 1
    path = osp.join(img_dir, data['images'][k]['file_name'])
    open(path, 'wb').close()
    return img_dir, k, path


def test_zero_byte_test_image_is_named_when_built(tiny_root, tmp_path):
    """It used to reach mmcv's loading transform, where OpenCV's
    ``!buf.empty()`` assertion named no file."""
    img_dir, k, path = _empty_test_image(tiny_root, tmp_path)
    image_id = _test_split(tiny_root)['images'][k]['id']
    with pytest.raises(OSError) as err:
        _build_test_split(osp.join(tiny_root, 'annotations', 'test.json'), img_dir)
    message = str(err.value)
    assert '\n' not in message
    assert f'image id {image_id} of the test split' in message
    assert f'empty image file {path} (0 bytes)' in message


def test_check_dataset_reports_test_split_without_protocol(tiny_root, tmp_path):
    data = _test_split(tiny_root)
    del data['protocol']
    ann_file = _write(tmp_path / 'test.json', data)
    before = _listing(tmp_path)
    result = run_tool('misc/check_dataset.py', ann_file, check=False)
    assert result.returncode == 1
    assert result.stdout.splitlines()[-2:] == [
        'test.json: protocol: missing or empty: a test split needs the search '
        'protocol (queries, galleries) to be evaluated',
        '1 violation(s), 0 warning(s) in 1 file(s)'
    ]
    assert _listing(tmp_path) == before


def test_check_dataset_reports_empty_and_undecodable_images(tiny_root, tmp_path):
    """A 0-byte image is always a violation; test images are decoded by
    default, which finds a file that is not an image, and --no-decode
    skips that."""
    img_dir, k, path = _empty_test_image(tiny_root, tmp_path)
    data = _test_split(tiny_root)
    garbage = osp.join(img_dir, data['images'][0]['file_name'])
    with open(garbage, 'wb') as f:
        f.write(b'<html>not an image</html>')
    ann_file = osp.join(tiny_root, 'annotations', 'test.json')
    before = _listing(tmp_path)
    empty = f'test.json: images[{k}]: empty image file {path} (0 bytes)'
    result = run_tool(
        'misc/check_dataset.py', ann_file, '--img-dir', img_dir, check=False)
    assert result.returncode == 1
    assert result.stdout.splitlines()[-3:] == [
        f'test.json: images[0]: corrupt image file {garbage} (25 bytes, cannot be '
        'decoded)', empty, '2 violation(s), 0 warning(s) in 1 file(s)'
    ]
    result = run_tool(
        'misc/check_dataset.py',
        ann_file,
        '--img-dir',
        img_dir,
        '--no-decode',
        check=False)
    assert result.returncode == 1
    assert result.stdout.splitlines()[-2:] == [
        empty, '1 violation(s), 0 warning(s) in 1 file(s)'
    ]
    assert _listing(tmp_path) == before


@pytest.mark.parametrize('kind', ['truncated', 'not_json', 'missing'])
def test_check_dataset_unreadable_file_is_one_line(tiny_root, tmp_path, kind):
    source = osp.join(tiny_root, 'annotations', 'test.json')
    path = str(tmp_path / 'test.json')
    if kind == 'truncated':
        with open(source, 'rb') as f:
            raw = f.read()
        with open(path, 'wb') as f:
            f.write(raw[:len(raw) // 2])
        expected = f'{path}:1: not valid JSON ('
    elif kind == 'not_json':
        shutil.copy(
            osp.join(tiny_root, 'images',
                     _test_split(tiny_root)['images'][0]['file_name']), path)
        expected = f'{path}:1: not UTF-8 text'
    else:
        expected = f'annotation file {path} does not exist'
    before = _listing(tmp_path)
    result = run_tool('misc/check_dataset.py', path, check=False)
    line = _one_line_error(result, 2 if kind == 'missing' else 1)
    assert line.startswith(f'check_dataset.py: error: {expected}')
    assert _listing(tmp_path) == before
