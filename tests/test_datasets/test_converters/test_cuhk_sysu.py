"""The CUHK-SYSU converter on miniature releases written by the synthetic
generator, and its command line."""
import copy
import os
import os.path as osp

import numpy as np
import pytest
from scipy.io import loadmat, savemat

from mmps.datasets import validate_annotations
from mmps.datasets.converters import convert_cuhk_sysu
from mmps.datasets.converters.cuhk_sysu import reference_box
from mmps.datasets.matfile import MatStruct, write_mat
from mmps.datasets.synthetic import write_cuhk_sysu_release
from mmps.evaluation.functional import load_protocol
from mmps.testing import run_tool


def test_cuhk_sysu_end_to_end(tiny_scenes, tmp_path, load_converted,
                              check_against_manifest):
    root = str(tmp_path / 'CUHK-SYSU')
    manifest = write_cuhk_sysu_release(tiny_scenes, root, degenerate_every=5)
    stats = convert_cuhk_sysu(root, verbose=False)
    train, test = load_converted(osp.join(root, 'mmps'))
    check_against_manifest(train, test, manifest, stats, lambda n: n)
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
    expected = sum((pl.index, p.person_id) in listed for pl in tiny_scenes.plans
                   for p in pl.persons)
    assert stats['test']['boxes_with_id'] == expected


def _rewrite_with_scipy(root):
    """Re-save every .mat of a release with scipy (uncompressed, scipy's
    own element layout), as a second writer of the same structures."""
    for dirpath, _, files in os.walk(root):
        for name in files:
            if name.endswith('.mat'):
                path = osp.join(dirpath, name)
                mat = {k: v for k, v in loadmat(path).items() if not k.startswith('__')}
                savemat(path, mat)


def test_cuhk_sysu_from_another_mat_writer(tiny_scenes, tmp_path, load_converted):
    root = str(tmp_path / 'CUHK-SYSU')
    write_cuhk_sysu_release(tiny_scenes, root, degenerate_every=5)
    convert_cuhk_sysu(root, verbose=False)
    ours = load_converted(osp.join(root, 'mmps'))
    _rewrite_with_scipy(root)
    convert_cuhk_sysu(root, out_dir=str(tmp_path / 'again'), verbose=False)
    assert load_converted(str(tmp_path / 'again')) == ours


def test_missing_root_and_files_are_named(tiny_scenes, tmp_path):
    with pytest.raises(FileNotFoundError, match='root not found'):
        convert_cuhk_sysu(str(tmp_path / 'nowhere'))
    root = str(tmp_path / 'c')
    write_cuhk_sysu_release(tiny_scenes, root)
    train_mat = osp.join(root, 'annotation', 'test', 'train_test', 'Train.mat')
    os.remove(train_mat)
    with pytest.raises(FileNotFoundError, match='Train.mat') as err:
        convert_cuhk_sysu(root, verbose=False)
    assert train_mat in str(err.value)


def test_unexpected_mat_keys(tiny_scenes, tmp_path):
    root = str(tmp_path / 'c')
    write_cuhk_sysu_release(tiny_scenes, root)
    images_mat = osp.join(root, 'annotation', 'Images.mat')
    img = loadmat(images_mat)['Img']
    savemat(images_mat, dict(Images=img))
    with pytest.raises(KeyError, match="expected key 'Img'"):
        convert_cuhk_sysu(root, verbose=False)
    write_mat(images_mat, dict(Img=MatStruct(('imname', 'nAppear'), [('s1.jpg', 1.0)])))
    with pytest.raises(KeyError, match=r"Img lacks fields \['box'\]"):
        convert_cuhk_sysu(root, verbose=False)
    savemat(images_mat, dict(Img=img))
    occ_mat = osp.join(root, 'annotation', 'test', 'subset', 'Occlusion.mat')
    savemat(occ_mat, dict(Occlusion=loadmat(occ_mat)['Occlusion1']))
    with pytest.raises(KeyError, match="expected key 'Occlusion1'"):
        convert_cuhk_sysu(root, verbose=False)


def test_missing_image(tiny_scenes, tmp_path):
    root = str(tmp_path / 'c')
    write_cuhk_sysu_release(tiny_scenes, root)
    os.remove(osp.join(root, 'Image', 'SSM', 's1.jpg'))
    with pytest.raises(FileNotFoundError, match='s1.jpg'):
        convert_cuhk_sysu(root, verbose=False)


def test_annotation_naming_a_missing_image(tiny_scenes, tmp_path):
    root = str(tmp_path / 'c')
    write_cuhk_sysu_release(tiny_scenes, root)
    train_mat = osp.join(root, 'annotation', 'test', 'train_test', 'Train.mat')
    train = loadmat(train_mat)['Train']
    train[0, 0][0, 0]['scene'][0, 0]['imname'] = np.array(['s999.jpg'])
    savemat(train_mat, dict(Train=train))
    with pytest.raises(ValueError, match='s999.jpg is not in Images.mat'):
        convert_cuhk_sysu(root, verbose=False)


def test_subset_query_must_be_a_test_query(tiny_scenes, tmp_path):
    root = str(tmp_path / 'c')
    manifest = write_cuhk_sysu_release(tiny_scenes, root)
    assert manifest['subsets']['occlusion']
    occ_mat = osp.join(root, 'annotation', 'test', 'subset', 'Occlusion.mat')
    occ = loadmat(occ_mat)['Occlusion1']
    occ[0, 0]['Query'][0, 0]['idlocate'] = np.array([[1., 1, 5, 5]])
    savemat(occ_mat, dict(Occlusion1=occ))
    with pytest.raises(ValueError, match='is not a TestG query'):
        convert_cuhk_sysu(root, verbose=False)


def test_corrupt_image_is_named(tiny_scenes, tmp_path):
    root = str(tmp_path / 'cuhk')
    write_cuhk_sysu_release(tiny_scenes, root)
    path = osp.join(root, 'Image', 'SSM', 's2.jpg')
    with open(path, 'wb') as f:
        f.write(b'not a jpeg')
    with pytest.raises(OSError, match=f'cannot read image {path}'):
        convert_cuhk_sysu(root, verbose=False)


def test_reference_box_truncates_without_clipping():
    assert reference_box(np.array([-5.0, 3.9, 20.5, 40.0])) == \
        [-5, 3, 20, 40]


def test_cuhk_sysu_boxes_are_not_clipped(tiny_scenes, tmp_path, load_converted,
                                         query_person, annotation_of):
    """The official evaluation matches against the TestG boxes unclipped:
    a query box partly outside the image keeps its geometry."""
    scenes = copy.deepcopy(tiny_scenes)
    qi, person = query_person(scenes)
    _, y, w, h = person.bbox
    person.bbox = (-5.0, y, w, h)
    root = str(tmp_path / 'CUHK-SYSU')
    manifest = write_cuhk_sysu_release(scenes, root)
    stats = convert_cuhk_sysu(root, verbose=False)
    _, test = load_converted(osp.join(root, 'mmps'))
    name = manifest['names'][qi]
    [ann] = annotation_of(test, name, person.person_id)
    assert ann['bbox'] == [-5, y, w, h]
    assert test['protocol']['queries'][0]['bbox'] == [-5, y, w, h]
    assert stats['test']['beyond_image'] == 1
    assert stats['test']['testg_boxes'] == 0
    proto = load_protocol(osp.join(root, 'mmps', 'test.json'))
    assert [-5, y, w - 5, y + h] in proto.gt_boxes.tolist()
    violations, warnings = validate_annotations(osp.join(root, 'mmps', 'test.json'))
    assert violations == [] and len(warnings) == 2  # the box and the query
    assert all('extends beyond' in w for w in warnings)
    assert stats['test']['schema_warnings'] == 2


def _testg_entry(root, size, k, n):
    path = osp.join(root, 'annotation', 'test', 'train_test', f'TestG{size}.mat')
    mat = loadmat(path)
    return path, mat, mat[f'TestG{size}'][0, k]['Gallery'][0, n]


def test_cuhk_sysu_gallery_box_takes_the_testg_geometry(tiny_scenes, tmp_path,
                                                        load_converted, query_person,
                                                        annotation_of):
    """A TestG gallery box matched to an Images.mat box by IoU only gives
    the labelled annotation its own geometry, which the evaluation uses;
    TestG files that disagree are counted."""
    root = str(tmp_path / 'CUHK-SYSU')
    manifest = write_cuhk_sysu_release(tiny_scenes, root)
    plan_of = {n: i for i, n in manifest['names'].items()}

    def box_of(image, pid):
        return next(
            (list(p.bbox)
             for p in tiny_scenes.plans[plan_of[image]].persons if p.person_id == pid),
            None)

    # a query person shown in a gallery image that TestG4 and TestG8 list
    k, image, pid = next((k, image, pid) for k, pid in enumerate(
        query_person(tiny_scenes, k)[1].person_id
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
    stats = convert_cuhk_sysu(root, verbose=False)
    _, test = load_converted(osp.join(root, 'mmps'))
    [ann] = annotation_of(test, image, pid)
    assert ann['bbox'] == moved
    assert (stats['test']['testg_boxes'], stats['test']['testg_conflicts']) \
        == (1, 0)
    # TestG8 now disagrees with TestG4: the first file wins, and it is told
    n = manifest['galleries'][8][k].index(image)
    path, mat, entry = _testg_entry(root, 8, k, n)
    entry['idlocate'] = np.array([old], dtype=np.float64)
    savemat(path, {'TestG8': mat['TestG8']})
    stats = convert_cuhk_sysu(root, verbose=False)
    _, test = load_converted(osp.join(root, 'mmps'))
    assert annotation_of(test, image, pid)[0]['bbox'] == moved
    assert (stats['test']['testg_boxes'], stats['test']['testg_conflicts']) \
        == (1, 1)


def test_command_line(tiny_scenes, tmp_path, load_converted):
    """cuhk_sysu.py converts a release into --out-dir and prints the
    summary and the schema check."""
    root = str(tmp_path / 'CUHK-SYSU')
    manifest = write_cuhk_sysu_release(tiny_scenes, root)
    out_dir = str(tmp_path / 'converted')
    res = run_tool('dataset_converters/cuhk_sysu.py', root, '--out-dir', out_dir)
    assert 'CUHK-SYSU conversion summary' in res.stdout
    assert 'gallery sizes: [4, 8]' in res.stdout
    assert 'schema check passed: 0 violations' in res.stdout
    assert 'done in' in res.stdout
    train, test = load_converted(out_dir)
    assert len(test['images']) == manifest['num_images']['test']
    assert len(test['protocol']['queries']) == len(tiny_scenes.queries)
    assert not osp.exists(osp.join(root, 'mmps'))
