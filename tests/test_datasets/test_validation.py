"""validate_annotations: every schema violation named with its file and
index, the release findings as warnings, and check_dataset.py's report."""
import copy
import json

import pytest

from mmps.datasets.validation import format_report, validate_annotations
from mmps.testing import run_tool


def _valid():
    """Two 100x50 images; id 7 is queried in image 1 and found in image 2."""
    return dict(
        info=dict(dataset='synthetic', split='test'),
        categories=[dict(id=1, name='person')],
        images=[
            dict(id=1, file_name='a.jpg', width=100, height=50, cam_id=0),
            dict(id=2, file_name='b.jpg', width=100, height=50, cam_id=1)
        ],
        annotations=[
            dict(
                id=1,
                image_id=1,
                category_id=1,
                bbox=[10, 5, 20, 40],
                area=800,
                iscrowd=0,
                person_id=7,
                mask_source='annotated',
                segmentation=[[12, 6, 28, 6, 28, 44, 12, 44]]),
            dict(
                id=2,
                image_id=2,
                category_id=1,
                bbox=[50, 5, 20, 40],
                area=800,
                iscrowd=0,
                person_id=7,
                mask_source='annotated',
                segmentation=dict(size=[50, 100], counts='PPYo1')),
            dict(
                id=3,
                image_id=2,
                category_id=1,
                bbox=[0, 0, 10, 10],
                area=100,
                iscrowd=0,
                person_id=-1,
                mask_source='box')
        ],
        protocol=dict(
            queries=[dict(image_id=1, bbox=[10, 5, 20, 40], person_id=7)],
            galleries={'1': [[2]]},
            subsets={'occlusion': [0]}))


def _run(tmp_path, data, img_dir=None):
    """The violations of ``data`` written as ``test.json``."""
    path = tmp_path / 'test.json'
    path.write_text(json.dumps(data))
    return validate_annotations(str(path), img_dir).violations


def test_valid_file_has_no_violation(tmp_path):
    assert _run(tmp_path, _valid()) == []


def _broken(edit):
    data = copy.deepcopy(_valid())
    edit(data)
    return data


CASES = {
    'missing_key': (lambda d: d.pop('categories'), 'categories: missing'),
    'image_field':
    (lambda d: d['images'][1].pop('cam_id'), 'images[1]: missing "cam_id"'),
    'duplicate_image_id': (lambda d: d['images'][1].update(id=1),
                           'images[1]: duplicate image id 1'),
    'duplicate_file_name': (lambda d: d['images'][1].update(file_name='a.jpg'),
                            'images[1]: duplicate file_name a.jpg'),
    'duplicate_annotation_id': (lambda d: d['annotations'][2].update(id=2),
                                'annotations[2]: duplicate annotation id 2'),
    'unknown_image': (lambda d: d['annotations'][2].update(image_id=9),
                      'annotations[2]: unknown image id 9'),
    'zero_width': (lambda d: d['annotations'][2].update(bbox=[0, 0, 0, 10]),
                   'annotations[2]: bbox [0, 0, 0, 10] has w or h <= 0'),
    'outside_image': (lambda d: d['annotations'][2].update(bbox=[100, 0, 10, 10]),
                      'annotations[2]: bbox [100, 0, 10, 10] '
                      'lies entirely outside the 100x50 image'),
    'bad_person_id': (lambda d: d['annotations'][2].update(person_id=-2),
                      'annotations[2]: person_id -2 is neither'),
    'query_unknown_image': (lambda d: d['protocol']['queries'][0].update(image_id=5),
                            'protocol.queries[0]: unknown image id 5'),
    'query_box_outside':
    (lambda d: d['protocol']['queries'][0].update(bbox=[10, 50, 20, 40]),
     'protocol.queries[0]: bbox [10, 50, 20, 40] '
     'lies entirely outside'),
    'query_without_gt': (lambda d: d['annotations'][0].update(person_id=-1),
                         'protocol.queries[0]: person id 7 has no GT box'),
    'query_absent_from_gallery': (lambda d: d['annotations'][1].update(person_id=-1),
                                  'protocol.galleries[1][0]: query id 7 absent'),
    'query_absent_all_mode':
    (lambda d:
     (d['annotations'][1].update(person_id=-1), d['protocol'].update(galleries={})),
     'protocol.galleries[all][0]: query id 7 absent'),
    'gallery_count': (lambda d: d['protocol']['galleries'].update({'1': [[2], [2]]}),
                      'protocol.galleries[1]: 2 lists for 1 queries'),
    'gallery_unknown_image':
    (lambda d: d['protocol']['galleries'].update({'1': [[2, 8]]}),
     'protocol.galleries[1][0]: unknown image ids [8]'),
    'subset_out_of_range': (lambda d: d['protocol']['subsets'].update(occlusion=[3]),
                            'protocol.subsets[occlusion]: query indices [3]'),
    'test_split_without_protocol': (lambda d: d.pop('protocol'),
                                    'protocol: missing or empty: a test split'),
    'protocol_without_queries': (lambda d: d['protocol'].update(queries=[]),
                                 'protocol.queries: missing or empty'),
    'mask_source_missing': (lambda d: d['annotations'][2].pop('mask_source'),
                            'annotations[2]: missing "mask_source"'),
    'mask_source_unknown': (lambda d: d['annotations'][2].update(mask_source='guessed'),
                            "annotations[2]: mask_source 'guessed' is "
                            'not one of'),
    'annotated_without_mask': (lambda d: d['annotations'][0].pop('segmentation'),
                               "annotations[0]: mask_source 'annotated' without"),
    'short_polygon': (lambda d: d['annotations'][0].update(segmentation=[[1, 2, 3, 4]]),
                      'annotations[0]: segmentation polygon '
                      '0 does not have'),
    'rle_wrong_size':
    (lambda d: d['annotations'][1]['segmentation'].update(size=[100, 50]),
     'annotations[1]: RLE size [100, 50] is not the '
     'image size [50, 100]'),
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_each_violation_is_reported_with_file_and_index(tmp_path, case):
    edit, expected = CASES[case]
    problems = _run(tmp_path, _broken(edit))
    assert any(p.startswith('test.json: ' + expected) for p in problems), \
        problems


WARNINGS = {
    'box_beyond_image': (lambda d: d['annotations'][2].update(bbox=[-40, 0, 60, 10]),
                         'annotations[2]: bbox [-40, 0, 60, 10] '
                         'extends beyond the 100x50 image'),
    'query_box_beyond_image':
    (lambda d: d['protocol']['queries'][0].update(bbox=[10, 20, 20, 40]),
     'protocol.queries[0]: bbox [10, 20, 20, 40] '
     'extends beyond'),
    'id_twice_in_image': (lambda d: d['annotations'][2].update(person_id=7),
                          'annotations[2]: person id 7 already labelled in '
                          'image id 2 (kept'),
}


@pytest.mark.parametrize('case', sorted(WARNINGS))
def test_release_findings_are_warnings_not_violations(tmp_path, case):
    """Boxes past the border and ids repeated within an image occur in the
    real releases and are kept by the reference evaluation."""
    edit, expected = WARNINGS[case]
    path = tmp_path / 'test.json'
    path.write_text(json.dumps(_broken(edit)))
    violations, warnings = validate_annotations(str(path))
    assert violations == []
    assert len(warnings) == 1 and \
        warnings[0].startswith('test.json: ' + expected), warnings


def test_a_dict_is_validated_as_its_file(tmp_path):
    """Converters validate what they are about to write."""
    data = _broken(WARNINGS['box_beyond_image'][0])
    path = tmp_path / 'test.json'
    path.write_text(json.dumps(data))
    assert validate_annotations(data, name='test.json') == \
        validate_annotations(str(path))
    assert validate_annotations(data).warnings[0].startswith(
        'annotations: annotations[2]: bbox [-40, 0, 60, 10] extends')


def _warned(num):
    """The valid file plus ``num`` boxes extending past image 2."""
    data = _valid()
    data['annotations'] += [
        dict(
            id=4 + k,
            image_id=2,
            category_id=1,
            bbox=[-5, 0, 10, 10],
            area=100,
            iscrowd=0,
            person_id=-1,
            mask_source='box') for k in range(num)
    ]
    return data


def test_report_limits_the_warnings_it_lists():
    report = validate_annotations(_warned(3))
    text = format_report(report, max_warnings=1)
    assert text.count('warning: ') == 1
    assert '... 2 more warning(s) not shown' in text
    assert text.splitlines()[-1] == '0 violation(s), 3 warning(s) in 1 file(s)'
    assert format_report(report, max_warnings=-1).count('warning: ') == 3
    bad = validate_annotations(_broken(CASES['unknown_image'][0]))
    lines = format_report(bad, num_files=2).splitlines()
    assert lines == [
        'annotations: annotations[2]: unknown image id 9',
        '1 violation(s), 0 warning(s) in 2 file(s)'
    ]


def test_cli_prints_warnings_and_exits_0(tmp_path):
    """One file per warning case, checked in one run."""
    paths = []
    for case in sorted(WARNINGS):
        path = tmp_path / case / 'test.json'
        path.parent.mkdir()
        path.write_text(json.dumps(_broken(WARNINGS[case][0])))
        paths.append(str(path))
    res = run_tool('misc/check_dataset.py', *paths)
    for _, expected in WARNINGS.values():
        assert f'warning: test.json: {expected}' in res.stdout
    assert '0 violation(s), 3 warning(s) in 3 file(s)' in res.stdout


def test_cli_limits_the_warnings_it_prints(tmp_path):
    path = tmp_path / 'test.json'
    path.write_text(json.dumps(_warned(3)))
    res = run_tool('misc/check_dataset.py', str(path), '--max-warnings', '1')
    assert res.stdout.count('warning: ') == 1
    assert '... 2 more warning(s) not shown' in res.stdout
    assert '0 violation(s), 3 warning(s) in 1 file(s)' in res.stdout


def test_image_files(tmp_path):
    """Missing and empty files always count; test images are decoded unless
    ``decode=False``, training images only with ``decode=True``."""
    img_dir = tmp_path / 'imgs'
    img_dir.mkdir()
    (img_dir / 'a.jpg').write_bytes(b'x')
    path = tmp_path / 'test.json'
    path.write_text(json.dumps(_valid()))
    missing = f'test.json: images[1]: missing image file {img_dir / "b.jpg"}'
    corrupt = (f'test.json: images[0]: corrupt image file {img_dir / "a.jpg"} '
               '(1 bytes, cannot be decoded)')
    assert validate_annotations(str(path),
                                str(img_dir)).violations == [corrupt, missing]
    assert validate_annotations(
        str(path), str(img_dir), decode=False).violations == [missing]
    (img_dir / 'b.jpg').write_bytes(b'')
    empty = f'test.json: images[1]: empty image file {img_dir / "b.jpg"} (0 bytes)'
    assert validate_annotations(
        str(path), str(img_dir), decode=False).violations == [empty]
    train = _valid()
    train['info']['split'] = 'train'
    del train['protocol']
    assert validate_annotations(
        train, str(img_dir)).violations == [empty.replace('test.json', 'annotations')]
    assert validate_annotations(
        train, str(img_dir), decode=True).violations == [
            corrupt.replace('test.json', 'annotations'),
            empty.replace('test.json', 'annotations')
        ]


def test_cli_exit_code(tmp_path):
    bad = _broken(CASES['unknown_image'][0])
    path = tmp_path / 'test.json'
    path.write_text(json.dumps(bad))
    res = run_tool('misc/check_dataset.py', str(path), check=False)
    assert res.returncode == 1
    assert 'annotations[2]: unknown image id 9' in res.stdout
    assert '1 violation(s), 0 warning(s) in 1 file(s)' in res.stdout
