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
