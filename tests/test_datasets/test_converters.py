import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO, load_tool
from scipy.io import loadmat, savemat

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
    savemat(images_mat, dict(Images=loadmat(images_mat)['Img']))
    with pytest.raises(KeyError, match="expected key 'Img'"):
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
