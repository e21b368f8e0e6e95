"""The PRW converter on miniature releases written by the synthetic
generator, and its command line."""
import copy
import os
import os.path as osp
import re

import numpy as np
import pytest
from scipy.io import savemat

from mmps.datasets import PersonSearchDataset, validate_annotations
from mmps.datasets.converters import convert_prw
from mmps.datasets.converters.prw import reference_box, reference_query_box
from mmps.datasets.synthetic import build_synthetic_scenes, write_prw_release
from mmps.datasets.synthetic.scene import PersonBox
from mmps.evaluation.functional import load_protocol
from mmps.testing import run_tool


@pytest.mark.parametrize('newline', ['\r\n', '\n'])
def test_prw_end_to_end(tiny_scenes, tmp_path, newline, load_converted,
                        check_against_manifest):
    root = str(tmp_path / 'PRW')
    manifest = write_prw_release(tiny_scenes, root, degenerate_every=5, newline=newline)
    stats = convert_prw(root, verbose=False)
    train, test = load_converted(osp.join(root, 'mmps'))
    check_against_manifest(train, test, manifest, stats, lambda n: n)
    assert test['protocol']['galleries'] == {}
    for data in (train, test):
        for img in data['images']:
            assert img['cam_id'] == manifest['cams'][img['file_name']]


def test_missing_root_and_files_are_named(tiny_scenes, tmp_path):
    with pytest.raises(FileNotFoundError, match='PRW root not found'):
        convert_prw(str(tmp_path / 'nowhere'))
    proot = str(tmp_path / 'p')
    write_prw_release(tiny_scenes, proot)
    os.remove(osp.join(proot, 'query_info.txt'))
    with pytest.raises(FileNotFoundError, match='query_info.txt'):
        convert_prw(proot, verbose=False)


def test_unexpected_mat_keys(tiny_scenes, tmp_path):
    proot = str(tmp_path / 'p')
    write_prw_release(tiny_scenes, proot)
    ann = sorted(os.listdir(osp.join(proot, 'annotations')))[0]
    savemat(osp.join(proot, 'annotations', ann), dict(boxes=np.zeros((1, 5))))
    with pytest.raises(KeyError, match='box_new'):
        convert_prw(proot, verbose=False)


def test_bad_query_frame(tiny_scenes, tmp_path):
    proot = str(tmp_path / 'p')
    write_prw_release(tiny_scenes, proot)
    with open(osp.join(proot, 'query_info.txt'), 'a') as f:
        f.write('1 1 1 5 5 c9s9_000000\r\n')
    with pytest.raises(ValueError, match='not in frame_test.mat'):
        convert_prw(proot, verbose=False)


def test_missing_frame_annotation(tiny_scenes, tmp_path):
    proot = str(tmp_path / 'p')
    write_prw_release(tiny_scenes, proot)
    frame = sorted(os.listdir(osp.join(proot, 'annotations')))[0]
    os.remove(osp.join(proot, 'annotations', frame))
    with pytest.raises(FileNotFoundError, match='annotation of'):
        convert_prw(proot, verbose=False)


def test_corrupt_image_is_named(tiny_scenes, tmp_path):
    root = str(tmp_path / 'prw')
    manifest = write_prw_release(tiny_scenes, root)
    path = osp.join(root, 'frames', manifest['names'][0] + '.jpg')
    with open(path, 'wb') as f:
        f.write(b'not a jpeg')
    with pytest.raises(OSError, match=f'cannot read image {path}'):
        convert_prw(root, verbose=False)


def test_output_violating_the_schema_is_not_written(tiny_scenes, tmp_path):
    """A query whose person has no box in its frame passes the parsing but
    not the schema check: the converter stops, names the violation and
    writes nothing."""
    root = str(tmp_path / 'p')
    write_prw_release(tiny_scenes, root)
    query_txt = osp.join(root, 'query_info.txt')
    with open(query_txt, newline='') as f:
        lines = f.read().splitlines(keepends=True)
    lines[0] = '999999 ' + lines[0].split(' ', 1)[1]
    with open(query_txt, 'w', newline='') as f:
        f.write(''.join(lines))
    with pytest.raises(ValueError) as err:
        convert_prw(root, verbose=False)
    message = str(err.value)
    assert '\n' not in message
    assert re.search(
        r'prw conversion: test\.json would violate the mmps schema '
        r'\(\d+ violation\(s\), nothing written\); the first: test\.json: '
        r'protocol\.queries\[0\]: person id 999999 has no GT box in its '
        'image', message), message
    assert not osp.exists(osp.join(root, 'mmps'))


def test_summary_is_printed(tiny_scenes, tmp_path, capsys):
    root = str(tmp_path / 'p')
    write_prw_release(tiny_scenes, root)
    convert_prw(root)
    out = capsys.readouterr().out
    assert 'PRW conversion summary' in out and 'boxes_without_id' in out
    assert 'schema check passed: 0 violations' in out


def test_command_lines(tmp_path, load_converted):
    """make_synthetic.py writes a PRW release (a --max-* limit passed on,
    the other left at the build_synthetic_scenes default) that prw.py
    converts."""
    root = str(tmp_path / 'PRW')
    cfg = dict(
        num_train_images=6,
        num_test_images=4,
        num_train_ids=2,
        num_test_ids=2,
        image_size=(64, 96))
    run_tool('dataset_converters/make_synthetic.py', root, '--format', 'prw',
             '--train-images', '6', '--test-images', '4', '--train-ids', '2',
             '--test-ids', '2', '--image-size', '64', '96', '--max-unlabelled', '1')
    expected = write_prw_release(
        build_synthetic_scenes(**cfg, max_unlabelled=1), str(tmp_path / 'library'))
    res = run_tool('dataset_converters/prw.py', root)
    assert 'PRW conversion summary' in res.stdout
    assert 'schema check passed' in res.stdout and 'done in' in res.stdout
    train, test = load_converted(osp.join(root, 'mmps'))
    assert len(test['images']) == 4
    assert len(test['protocol']['queries']) == 2
    assert [len(train['annotations']), len(test['annotations'])] == \
        [expected['num_boxes']['train'], expected['num_boxes']['test']]


def test_prw_reference_box_rules():
    """SeqNet's PRW loader: rows clamp x, y, w, h at 0 without shrinking the
    box; queries clamp their corners (shrinking it); corners truncated."""
    assert reference_box([-40, 300, 60, 180]) == [0, 300, 60, 180]
    assert reference_box([10.7, -3.2, 20.6, 50.5]) == [10, 0, 21, 50]
    assert reference_box([5, 5, -2, 10]) == [5, 5, 0, 10]
    assert reference_query_box([-40, 300, 60, 180]) == [0, 300, 20, 180]
    assert reference_query_box(['-40.5', '10.2', '60', '100']) == \
        [0, 10, 19, 100]


def test_prw_boxes_reach_the_protocol_as_seqnet_reads_them(tiny_scenes, tmp_path,
                                                           load_converted, query_person,
                                                           annotation_of):
    """A row at x=-40, w=60 keeps w=60 (not clipped to [0, 20]), and the
    query box is clamped as SeqNet clamps it."""
    scenes = copy.deepcopy(tiny_scenes)
    qi, person = query_person(scenes)
    _, y, _, h = person.bbox
    person.bbox = (-40.0, y, 60.0, h)
    root = str(tmp_path / 'PRW')
    manifest = write_prw_release(scenes, root)
    stats = convert_prw(root, verbose=False)
    _, test = load_converted(osp.join(root, 'mmps'))
    frame = manifest['names'][qi] + '.jpg'
    [ann] = annotation_of(test, frame, person.person_id)
    assert ann['bbox'] == [0, y, 60, h] and ann['area'] == 60 * h
    query = test['protocol']['queries'][0]
    assert query['bbox'] == [0, y, 20, h]
    assert stats['test']['beyond_image'] == 0  # x clamped to 0, inside
    proto = load_protocol(osp.join(root, 'mmps', 'test.json'))
    assert [0, y, 60, y + h] in proto.gt_boxes.tolist()
    np.testing.assert_array_equal(proto.query_boxes[0], [0, y, 20, y + h])


def test_prw_person_id_twice_in_a_frame_is_kept_and_reported(tiny_scenes, tmp_path,
                                                             capsys, load_converted,
                                                             query_person,
                                                             annotation_of):
    """PRW labels a few ids twice in one frame (e.g. id 297 in
    c1s2_024091.jpg): the converter keeps both boxes and reports them, the
    validation warns, and the dataset keeps the second person in the query
    image's gallery rows."""
    scenes = copy.deepcopy(tiny_scenes)
    qi, person = query_person(scenes)
    width = scenes.image_size[1]
    x, y, w, h = person.bbox
    other_x = x + w + 2 if x + 2 * w + 2 <= width else max(x - w - 2, 0)
    twin = PersonBox((other_x, y, w, h), person.person_id, person.appearance)
    scenes.plans[qi].persons.append(twin)
    root = str(tmp_path / 'PRW')
    manifest = write_prw_release(scenes, root)
    stats = convert_prw(root)
    frame = manifest['names'][qi] + '.jpg'
    example = f'{frame} id {person.person_id}'
    assert stats['test']['duplicate_ids'] == 1
    assert stats['test']['duplicate_id_example'] == example
    assert stats['train']['duplicate_ids'] == 0
    out = capsys.readouterr().out
    assert 'test: 1 labelled box(es) repeat a person id' in out
    assert example in out
    _, test = load_converted(osp.join(root, 'mmps'))
    first, second = annotation_of(test, frame, person.person_id)
    assert (first['bbox'], second['bbox']) == ([x, y, w, h], [other_x, y, w, h])

    violations, warnings = validate_annotations(
        osp.join(root, 'mmps', 'test.json'), osp.join(root, 'frames'))
    assert violations == []
    assert [w for w in warnings if 'already labelled' in w] == [
        f'test.json: annotations[{test["annotations"].index(second)}]: '
        f'person id {person.person_id} already labelled in image id '
        f'{second["image_id"]} (kept: the evaluation counts the image once '
        'per query)'
    ]
    assert stats['test']['schema_warnings'] == len(warnings)

    ds = PersonSearchDataset(
        data_root=root,
        ann_file='mmps/test.json',
        data_prefix=dict(img='frames/'),
        test_mode=True,
        pipeline=[])
    info = next(i for i in ds if i['img_path'].endswith(frame))
    rows = info['queries']
    assert len(rows) == len(info['instances'])
    assert [r['bbox'] for r in rows if r['query_index'] == 0] == \
        [[x, y, x + w, y + h]]
    twin_row = [other_x, y, other_x + w, y + h]
    assert [r['query_index'] for r in rows if r['bbox'] == twin_row] == [-1]
