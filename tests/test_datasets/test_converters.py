import copy
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO, load_tool
from scipy.io import loadmat, savemat

from mmps.datasets.matfile import MatStruct, write_mat
from mmps.datasets.synthetic import write_cuhk_sysu_release, write_prw_release
from mmps.datasets.synthetic.scene import PersonBox

cuhk = load_tool('tools/dataset_converters/cuhk_sysu.py')
prw = load_tool('tools/dataset_converters/prw.py')


def _load(out_dir):
    return [json.load(open(osp.join(out_dir, f'{s}.json')))
            for s in ('train', 'test')]


def _check_against_manifest(train, test, manifest, stats, file_of):
    for split, data in (('train', train), ('test', test)):
        assert len(data['images']) == manifest['num_images'][split]
        assert len(data['annotations']) == manifest['num_boxes'][split]
        assert stats[split]['images'] == manifest['num_images'][split]
    assert sum(s['degenerate_dropped'] for s in stats.values()) == \
        manifest['num_degenerate'] > 0
    assert sorted({a['person_id'] for a in train['annotations']} - {-1}) == \
        manifest['train_ids']
    # the releases have no person masks: every box is its own stand-in
    assert {a['mask_source'] for a in train['annotations'] +
            test['annotations']} == {'box'}
    names = {img['id']: img['file_name'] for img in test['images']}
    got = [(file_of(names[q['image_id']]), q['bbox'], q['person_id'])
           for q in test['protocol']['queries']]
    assert got == [(file_of(n), b, p) for n, b, p in manifest['queries']]


def test_cuhk_sysu_end_to_end(tiny_scenes, tmp_path):
    root = str(tmp_path / 'CUHK-SYSU')
    manifest = write_cuhk_sysu_release(tiny_scenes, root, degenerate_every=5)
    stats = cuhk.convert_cuhk_sysu(root, verbose=False)
    train, test = _load(osp.join(root, 'mmps'))
    _check_against_manifest(train, test, manifest, stats, lambda n: n)
    names = {img['id']: img['file_name'] for img in test['images']}
    for size, lists in manifest['galleries'].items():
        got = test['protocol']['galleries'][str(size)]
        assert [[names[i] for i in g] for g in got] == lists
    assert test['protocol']['subsets'] == manifest['subsets']
    assert stats['test']['subsets'] == {
        name: dict(queries=len(idx), galleries_differ=0)
        for name, idx in manifest['subsets'].items()
    }
    # a test box is labelled iff it is a query or listed in a gallery
    listed = set()
    for k, (qi, qj) in enumerate(tiny_scenes.queries):
        pid = tiny_scenes.plans[qi].persons[qj].person_id
        listed.add((qi, pid))
        for lists in tiny_scenes.galleries.values():
            listed.update((i, pid) for i in lists[k])
    expected = sum((pl.index, p.person_id) in listed
                   for pl in tiny_scenes.plans for p in pl.persons)
    assert stats['test']['boxes_with_id'] == expected


def _rewrite_with_scipy(root):
    """Re-save every .mat of a release with scipy (uncompressed, scipy's
    own element layout), as a second writer of the same structures."""
    for dirpath, _, files in os.walk(root):
        for name in files:
            if name.endswith('.mat'):
                path = osp.join(dirpath, name)
                mat = {k: v for k, v in loadmat(path).items()
                       if not k.startswith('__')}
                savemat(path, mat)


def test_cuhk_sysu_from_another_mat_writer(tiny_scenes, tmp_path):
    root = str(tmp_path / 'CUHK-SYSU')
    write_cuhk_sysu_release(tiny_scenes, root, degenerate_every=5)
    cuhk.convert_cuhk_sysu(root, verbose=False)
    ours = _load(osp.join(root, 'mmps'))
    _rewrite_with_scipy(root)
    cuhk.convert_cuhk_sysu(root, out_dir=str(tmp_path / 'again'),
                           verbose=False)
    assert _load(str(tmp_path / 'again')) == ours


def test_cuhk_sysu_release_layout(tiny_scenes, tmp_path):
    """Keys and fields as in the real release (see the converter)."""
    root = str(tmp_path / 'c')
    write_cuhk_sysu_release(tiny_scenes, root)
    ann = osp.join(root, 'annotation')
    img = loadmat(osp.join(ann, 'Images.mat'))['Img']
    assert img.dtype.names == ('imname', 'nAppear', 'box')
    assert img[0, 0]['box'].dtype.names == ('idlocate', 'ishard')
    occ = loadmat(osp.join(ann, 'test', 'subset', 'Occlusion.mat'))
    assert occ['Occlusion1'].dtype.names == ('Query', 'Gallery', 'occlusion')
    res = loadmat(osp.join(ann, 'test', 'subset', 'Resolution.mat'))
    assert res['Test_Size'].dtype.names == ('Query', 'Gallery')
    test = loadmat(osp.join(ann, 'test', 'train_test', 'TestG4.mat'))
    assert test['TestG4'][0, 0]['Query'].dtype.names == (
        'imname', 'idlocate', 'ishard', 'idname')
    assert test['TestG4'][0, 0]['Gallery'].shape == (1, 4)


@pytest.mark.parametrize('newline', ['\r\n', '\n'])
def test_prw_end_to_end(tiny_scenes, tmp_path, newline):
    root = str(tmp_path / 'PRW')
    manifest = write_prw_release(
        tiny_scenes, root, degenerate_every=5, newline=newline)
    stats = prw.convert_prw(root, verbose=False)
    train, test = _load(osp.join(root, 'mmps'))
    _check_against_manifest(train, test, manifest, stats, lambda n: n)
    assert test['protocol']['galleries'] == {}
    for data in (train, test):
        for img in data['images']:
            assert img['cam_id'] == manifest['cams'][img['file_name']]


def test_missing_root_and_files_are_named(tiny_scenes, tmp_path):
    with pytest.raises(FileNotFoundError, match='root not found'):
        cuhk.convert_cuhk_sysu(str(tmp_path / 'nowhere'))
    with pytest.raises(FileNotFoundError, match='PRW root not found'):
        prw.convert_prw(str(tmp_path / 'nowhere'))
    root = str(tmp_path / 'c')
    write_cuhk_sysu_release(tiny_scenes, root)
    train_mat = osp.join(root, 'annotation', 'test', 'train_test',
                         'Train.mat')
    os.remove(train_mat)
    with pytest.raises(FileNotFoundError, match='Train.mat') as err:
        cuhk.convert_cuhk_sysu(root, verbose=False)
    assert train_mat in str(err.value)
    proot = str(tmp_path / 'p')
    write_prw_release(tiny_scenes, proot)
    os.remove(osp.join(proot, 'query_info.txt'))
    with pytest.raises(FileNotFoundError, match='query_info.txt'):
        prw.convert_prw(proot, verbose=False)


def test_unexpected_mat_keys(tiny_scenes, tmp_path):
    root = str(tmp_path / 'c')
    write_cuhk_sysu_release(tiny_scenes, root)
    images_mat = osp.join(root, 'annotation', 'Images.mat')
    img = loadmat(images_mat)['Img']
    savemat(images_mat, dict(Images=img))
    with pytest.raises(KeyError, match="expected key 'Img'"):
        cuhk.convert_cuhk_sysu(root, verbose=False)
    write_mat(images_mat,
              dict(Img=MatStruct(('imname', 'nAppear'), [('s1.jpg', 1.0)])))
    with pytest.raises(KeyError, match=r"Img lacks fields \['box'\]"):
        cuhk.convert_cuhk_sysu(root, verbose=False)
    savemat(images_mat, dict(Img=img))
    occ_mat = osp.join(root, 'annotation', 'test', 'subset', 'Occlusion.mat')
    savemat(occ_mat, dict(Occlusion=loadmat(occ_mat)['Occlusion1']))
    with pytest.raises(KeyError, match="expected key 'Occlusion1'"):
        cuhk.convert_cuhk_sysu(root, verbose=False)
    proot = str(tmp_path / 'p')
    write_prw_release(tiny_scenes, proot)
    ann = sorted(os.listdir(osp.join(proot, 'annotations')))[0]
    savemat(osp.join(proot, 'annotations', ann), dict(boxes=np.zeros((1, 5))))
    with pytest.raises(KeyError, match='box_new'):
        prw.convert_prw(proot, verbose=False)


def test_missing_image_and_bad_query_frame(tiny_scenes, tmp_path):
    root = str(tmp_path / 'c')
    write_cuhk_sysu_release(tiny_scenes, root)
    os.remove(osp.join(root, 'Image', 'SSM', 's1.jpg'))
    with pytest.raises(FileNotFoundError, match='s1.jpg'):
        cuhk.convert_cuhk_sysu(root, verbose=False)
    proot = str(tmp_path / 'p')
    write_prw_release(tiny_scenes, proot)
    with open(osp.join(proot, 'query_info.txt'), 'a') as f:
        f.write('1 1 1 5 5 c9s9_000000\r\n')
    with pytest.raises(ValueError, match='not in frame_test.mat'):
        prw.convert_prw(proot, verbose=False)


def test_annotation_naming_a_missing_image(tiny_scenes, tmp_path):
    root = str(tmp_path / 'c')
    write_cuhk_sysu_release(tiny_scenes, root)
    train_mat = osp.join(root, 'annotation', 'test', 'train_test',
                         'Train.mat')
    train = loadmat(train_mat)['Train']
    train[0, 0][0, 0]['scene'][0, 0]['imname'] = np.array(['s999.jpg'])
    savemat(train_mat, dict(Train=train))
    with pytest.raises(ValueError, match='s999.jpg is not in Images.mat'):
        cuhk.convert_cuhk_sysu(root, verbose=False)
    proot = str(tmp_path / 'p')
    write_prw_release(tiny_scenes, proot)
    frame = sorted(os.listdir(osp.join(proot, 'annotations')))[0]
    os.remove(osp.join(proot, 'annotations', frame))
    with pytest.raises(FileNotFoundError, match='annotation of'):
        prw.convert_prw(proot, verbose=False)


def test_subset_query_must_be_a_test_query(tiny_scenes, tmp_path):
    root = str(tmp_path / 'c')
    manifest = write_cuhk_sysu_release(tiny_scenes, root)
    assert manifest['subsets']['occlusion']
    occ_mat = osp.join(root, 'annotation', 'test', 'subset', 'Occlusion.mat')
    occ = loadmat(occ_mat)['Occlusion1']
    occ[0, 0]['Query'][0, 0]['idlocate'] = np.array([[1., 1, 5, 5]])
    savemat(occ_mat, dict(Occlusion1=occ))
    with pytest.raises(ValueError, match='is not a TestG query'):
        cuhk.convert_cuhk_sysu(root, verbose=False)


@pytest.mark.parametrize('tool', ['cuhk', 'prw'])
def test_corrupt_image_is_named(tiny_scenes, tmp_path, tool):
    root = str(tmp_path / tool)
    if tool == 'cuhk':
        write_cuhk_sysu_release(tiny_scenes, root)
        path = osp.join(root, 'Image', 'SSM', 's2.jpg')
        convert = cuhk.convert_cuhk_sysu
    else:
        manifest = write_prw_release(tiny_scenes, root)
        path = osp.join(root, 'frames', manifest['names'][0] + '.jpg')
        convert = prw.convert_prw
    with open(path, 'wb') as f:
        f.write(b'not a jpeg')
    with pytest.raises(OSError, match=f'cannot read image {path}'):
        convert(root, verbose=False)


def test_summary_is_printed(tiny_scenes, tmp_path, capsys):
    root = str(tmp_path / 'p')
    write_prw_release(tiny_scenes, root)
    prw.convert_prw(root)
    out = capsys.readouterr().out
    assert 'PRW conversion summary' in out and 'boxes_without_id' in out


def test_command_lines(tmp_path):
    """make_synthetic.py writes a PRW release that prw.py converts."""
    root = str(tmp_path / 'PRW')
    tools = osp.join(REPO, 'tools', 'dataset_converters')
    subprocess.run([
        sys.executable, osp.join(tools, 'make_synthetic.py'), root,
        '--format', 'prw', '--train-images', '6', '--test-images', '4',
        '--train-ids', '2', '--test-ids', '2', '--image-size', '64', '96'
    ], check=True, capture_output=True)
    res = subprocess.run([sys.executable, osp.join(tools, 'prw.py'), root],
                         check=True, capture_output=True, text=True)
    assert 'PRW conversion summary' in res.stdout
    test = json.load(open(osp.join(root, 'mmps', 'test.json')))
    assert len(test['images']) == 4
    assert len(test['protocol']['queries']) == 2


def test_make_synthetic_limits_only_for_release_formats(monkeypatch):
    """--max-* are passed on only when given, and refused for mmps."""
    tool = load_tool('tools/dataset_converters/make_synthetic.py')
    monkeypatch.setattr(sys, 'argv', ['make_synthetic.py', 'out'])
    args = tool.parse_args()
    assert args.max_labelled is None and args.max_unlabelled is None
    # the build_synthetic_scenes default, given explicitly, is still refused
    monkeypatch.setattr(sys, 'argv',
                        ['make_synthetic.py', 'out', '--max-labelled', '3'])
    with pytest.raises(SystemExit):
        tool.parse_args()
    monkeypatch.setattr(sys, 'argv', [
        'make_synthetic.py', 'out', '--format', 'prw', '--max-unlabelled', '5'
    ])
    args = tool.parse_args()
    assert args.max_labelled is None and args.max_unlabelled == 5


def _query_person(scenes, k=0):
    """(plan index, person) of query ``k``."""
    qi, qj = scenes.queries[k]
    return qi, scenes.plans[qi].persons[qj]


def _annotation(data, file_name, person_id):
    """Annotations of ``person_id`` in image ``file_name``."""
    img = next(i for i in data['images'] if i['file_name'] == file_name)
    return [a for a in data['annotations']
            if a['image_id'] == img['id'] and a['person_id'] == person_id]


def test_prw_reference_box_rules():
    """SeqNet's PRW loader: rows clamp x, y, w, h at 0 without shrinking the
    box; queries clamp their corners (shrinking it); corners truncated."""
    assert prw.reference_box([-40, 300, 60, 180]) == [0, 300, 60, 180]
    assert prw.reference_box([10.7, -3.2, 20.6, 50.5]) == [10, 0, 21, 50]
    assert prw.reference_box([5, 5, -2, 10]) == [5, 5, 0, 10]
    assert prw.reference_query_box([-40, 300, 60, 180]) == [0, 300, 20, 180]
    assert prw.reference_query_box(['-40.5', '10.2', '60', '100']) == \
        [0, 10, 19, 100]
    assert cuhk.reference_box(np.array([-5.0, 3.9, 20.5, 40.0])) == \
        [-5, 3, 20, 40]


def test_prw_boxes_reach_the_protocol_as_seqnet_reads_them(
        tiny_scenes, tmp_path):
    """A row at x=-40, w=60 keeps w=60 (not clipped to [0, 20]), and the
    query box is clamped as SeqNet clamps it."""
    from mmps.evaluation.functional import load_protocol
    scenes = copy.deepcopy(tiny_scenes)
    qi, person = _query_person(scenes)
    _, y, _, h = person.bbox
    person.bbox = (-40.0, y, 60.0, h)
    root = str(tmp_path / 'PRW')
    manifest = write_prw_release(scenes, root)
    stats = prw.convert_prw(root, verbose=False)
    _, test = _load(osp.join(root, 'mmps'))
    frame = manifest['names'][qi] + '.jpg'
    [ann] = _annotation(test, frame, person.person_id)
    assert ann['bbox'] == [0, y, 60, h] and ann['area'] == 60 * h
    query = test['protocol']['queries'][0]
    assert query['bbox'] == [0, y, 20, h]
    assert stats['test']['beyond_image'] == 0  # x clamped to 0, inside
    proto = load_protocol(osp.join(root, 'mmps', 'test.json'))
    assert [0, y, 60, y + h] in proto.gt_boxes.tolist()
    np.testing.assert_array_equal(proto.query_boxes[0], [0, y, 20, y + h])


def test_prw_person_id_twice_in_a_frame_is_kept_and_reported(
        tiny_scenes, tmp_path, capsys):
    """PRW labels a few ids twice in one frame (e.g. id 297 in
    c1s2_024091.jpg): the converter keeps both boxes and reports them, the
    checker warns, and the dataset keeps the second person in the query
    image's gallery rows."""
    from mmps.datasets import PersonSearchDataset
    scenes = copy.deepcopy(tiny_scenes)
    qi, person = _query_person(scenes)
    width = scenes.image_size[1]
    x, y, w, h = person.bbox
    other_x = x + w + 2 if x + 2 * w + 2 <= width else max(x - w - 2, 0)
    twin = PersonBox((other_x, y, w, h), person.person_id, person.appearance)
    scenes.plans[qi].persons.append(twin)
    root = str(tmp_path / 'PRW')
    manifest = write_prw_release(scenes, root)
    stats = prw.convert_prw(root)
    frame = manifest['names'][qi] + '.jpg'
    example = f'{frame} id {person.person_id}'
    assert stats['test']['duplicate_ids'] == 1
    assert stats['test']['duplicate_id_example'] == example
    assert stats['train']['duplicate_ids'] == 0
    out = capsys.readouterr().out
    assert 'test: 1 labelled box(es) repeat a person id' in out
    assert example in out
    _, test = _load(osp.join(root, 'mmps'))
    first, second = _annotation(test, frame, person.person_id)
    assert (first['bbox'], second['bbox']) == ([x, y, w, h],
                                               [other_x, y, w, h])

    check = load_tool('tools/misc/check_dataset.py')
    violations, warnings = check.inspect_dataset(
        osp.join(root, 'mmps', 'test.json'), osp.join(root, 'frames'))
    assert violations == []
    assert [w for w in warnings if 'already labelled' in w] == [
        f'test.json: annotations[{test["annotations"].index(second)}]: '
        f'person id {person.person_id} already labelled in image id '
        f'{second["image_id"]} (kept: the evaluation counts the image once '
        'per query)'
    ]

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


def test_cuhk_sysu_boxes_are_not_clipped(tiny_scenes, tmp_path):
    """The official evaluation matches against the TestG boxes unclipped:
    a query box partly outside the image keeps its geometry."""
    from mmps.evaluation.functional import load_protocol
    scenes = copy.deepcopy(tiny_scenes)
    qi, person = _query_person(scenes)
    _, y, w, h = person.bbox
    person.bbox = (-5.0, y, w, h)
    root = str(tmp_path / 'CUHK-SYSU')
    manifest = write_cuhk_sysu_release(scenes, root)
    stats = cuhk.convert_cuhk_sysu(root, verbose=False)
    _, test = _load(osp.join(root, 'mmps'))
    name = manifest['names'][qi]
    [ann] = _annotation(test, name, person.person_id)
    assert ann['bbox'] == [-5, y, w, h]
    assert test['protocol']['queries'][0]['bbox'] == [-5, y, w, h]
    assert stats['test']['beyond_image'] == 1
    assert stats['test']['testg_boxes'] == 0
    proto = load_protocol(osp.join(root, 'mmps', 'test.json'))
    assert [-5, y, w - 5, y + h] in proto.gt_boxes.tolist()
    check = load_tool('tools/misc/check_dataset.py')
    violations, warnings = check.inspect_dataset(
        osp.join(root, 'mmps', 'test.json'))
    assert violations == [] and len(warnings) == 2  # the box and the query
    assert all('extends beyond' in w for w in warnings)


def _testg_entry(root, size, k, n):
    path = osp.join(root, 'annotation', 'test', 'train_test',
                    f'TestG{size}.mat')
    mat = loadmat(path)
    return path, mat, mat[f'TestG{size}'][0, k]['Gallery'][0, n]


def test_cuhk_sysu_gallery_box_takes_the_testg_geometry(tiny_scenes,
                                                        tmp_path):
    """A TestG gallery box matched to an Images.mat box by IoU only gives
    the labelled annotation its own geometry, which the evaluation uses;
    TestG files that disagree are counted."""
    root = str(tmp_path / 'CUHK-SYSU')
    manifest = write_cuhk_sysu_release(tiny_scenes, root)
    plan_of = {n: i for i, n in manifest['names'].items()}

    def box_of(image, pid):
        return next((list(p.bbox)
                     for p in tiny_scenes.plans[plan_of[image]].persons
                     if p.person_id == pid), None)

    # a query person shown in a gallery image that TestG4 and TestG8 list
    k, image, pid = next(
        (k, image, pid) for k, pid in enumerate(
            _query_person(tiny_scenes, k)[1].person_id
            for k in range(len(tiny_scenes.queries)))
        for image in manifest['galleries'][4][k]
        if image in manifest['galleries'][8][k] and box_of(image, pid))
    old = box_of(image, pid)
    moved = [old[0] + 2, old[1], old[2], old[3]]
    for size in (4, 8):
        n = manifest['galleries'][size][k].index(image)
        path, mat, entry = _testg_entry(root, size, k, n)
        entry['idlocate'] = np.array([moved], dtype=np.float64)
        savemat(path, {f'TestG{size}': mat[f'TestG{size}']})
    stats = cuhk.convert_cuhk_sysu(root, verbose=False)
    _, test = _load(osp.join(root, 'mmps'))
    [ann] = _annotation(test, image, pid)
    assert ann['bbox'] == moved
    assert (stats['test']['testg_boxes'], stats['test']['testg_conflicts']) \
        == (1, 0)
    # TestG8 now disagrees with TestG4: the first file wins, and it is told
    n = manifest['galleries'][8][k].index(image)
    path, mat, entry = _testg_entry(root, 8, k, n)
    entry['idlocate'] = np.array([old], dtype=np.float64)
    savemat(path, {'TestG8': mat['TestG8']})
    stats = cuhk.convert_cuhk_sysu(root, verbose=False)
    _, test = _load(osp.join(root, 'mmps'))
    assert _annotation(test, image, pid)[0]['bbox'] == moved
    assert (stats['test']['testg_boxes'], stats['test']['testg_conflicts']) \
        == (1, 1)
