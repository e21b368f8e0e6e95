import re

import numpy as np
import pytest
from scipy.io import loadmat, savemat

from mmps.datasets.matfile import (MatFile, MatFormatError, MatStruct, load_mat,
                                   read_mat, write_mat)


def _scipy_struct(fields, rows):
    arr = np.empty((1, len(rows)), dtype=[(f, 'O') for f in fields])
    for k, row in enumerate(rows):
        for f, v in zip(fields, row):
            arr[0, k][f] = v
    return arr


@pytest.mark.parametrize('compress', [False, True])
def test_reads_what_scipy_writes(tmp_path, compress):
    """Nested structs, cells, chars, integer-typed and empty numbers."""
    box = _scipy_struct(
        ['idlocate', 'ishard'],
        [[np.array([[1, 2, 3, 4]], np.uint16), 0], [np.array([[5., 6, 7, 8]]), 1]])
    img = _scipy_struct(
        ['imname', 'nAppear', 'box'],
        [['s1.jpg', 2.0, box], ['s22.jpg', 0.0, np.zeros((0, 0))]])
    pool = np.empty((2, 1), object)
    pool[0, 0], pool[1, 0] = 's1.jpg', 's22.jpg'
    path = str(tmp_path / 'a.mat')
    savemat(
        path,
        dict(Img=img, pool=pool, x=np.arange(6.).reshape(2, 3)),
        do_compression=compress)
    mat = MatFile(path)
    assert mat.keys() == ['Img', 'pool', 'x']
    got = mat.read('Img')
    assert got['imname'] == ['s1.jpg', 's22.jpg']
    assert got['box'][0]['idlocate'][0].tolist() == [[1, 2, 3, 4]]
    assert got['box'][0]['ishard'][1].tolist() == [[1]]
    assert got['box'][1].shape == (0, 0)
    assert mat.read('pool') == ['s1.jpg', 's22.jpg']
    np.testing.assert_array_equal(mat.read('x'), np.arange(6.).reshape(2, 3))
    items = list(mat.iter_struct('Img'))
    assert [i['imname'] for i in items] == ['s1.jpg', 's22.jpg']
    with pytest.raises(KeyError, match="expected key 'Images'"):
        mat.read('Images')
    with pytest.raises(KeyError, match='not a struct'):
        next(mat.iter_struct('pool'))


@pytest.mark.parametrize('compress', [False, True])
def test_scipy_reads_what_we_write(tmp_path, compress):
    fields = ('imname', 'idlocate', 'ishard')
    empty = np.zeros((0, 0))
    gallery = MatStruct(fields, [('s1.jpg', np.array([[1., 2, 3, 4]]), 0.0),
                                 ('s2.jpg', empty, 0.0)])
    query = MatStruct(fields + ('idname', ),
                      [('s3.jpg', np.array([[5., 6, 7, 8]]), 0.0, 'p7')])
    path = str(tmp_path / 'b.mat')
    write_mat(
        path,
        dict(
            TestG2=MatStruct(('Query', 'Gallery'), [(query, gallery)] * 3),
            pool=['a.jpg', 'bb.jpg']),
        compress=compress)
    ref = loadmat(path)
    assert ref['TestG2'].shape == (1, 3)
    g = ref['TestG2'][0, 2]['Gallery']
    assert g.shape == (1, 2) and g[0, 1]['imname'][0] == 's2.jpg'
    assert g[0, 0]['idlocate'].tolist() == [[1, 2, 3, 4]]
    assert g[0, 1]['idlocate'].size == 0
    assert ref['TestG2'][0, 0]['Query'][0, 0]['idname'][0] == 'p7'
    assert [c[0][0] for c in ref['pool']] == ['a.jpg', 'bb.jpg']
    items = list(MatFile(path).iter_struct('TestG2'))
    assert len(items) == 3
    assert items[1]['Gallery']['imname'] == ['s1.jpg', 's2.jpg']
    assert items[1]['Query']['idname'] == ['p7']
    assert read_mat(path, 'pool') == ['a.jpg', 'bb.jpg']


def test_values_are_shared_and_read_only(tmp_path):
    path = str(tmp_path / 'c.mat')
    box = np.array([[1., 2, 3, 4]])
    write_mat(path, dict(G=MatStruct(('imname', 'idlocate'), [('s1.jpg', box)] * 4)))
    got = read_mat(path, 'G')
    assert got['idlocate'][0] is got['idlocate'][3]
    with pytest.raises(ValueError, match='read-only'):
        got['idlocate'][0][0, 0] = 9


def test_not_a_v5_file(tmp_path):
    path = tmp_path / 'd.mat'
    path.write_bytes(b'MATLAB 7.3 MAT-file'.ljust(128, b' '))
    with pytest.raises(MatFormatError, match='7.3'):
        MatFile(str(path))


def _cut(path, keep):
    raw = path.read_bytes()
    path.write_bytes(raw[:keep if keep >= 0 else len(raw) + keep])


@pytest.mark.parametrize('compress', [False, True])
def test_truncated_file_names_itself(tmp_path, compress):
    path = tmp_path / 'd.mat'
    write_mat(str(path), dict(x=np.arange(400.0).reshape(20, 20)), compress=compress)
    _cut(path, -100)
    with pytest.raises(
            MatFormatError, match=f'^{re.escape(str(path))}: truncated MATLAB file'):
        read_mat(str(path), 'x')
    _cut(path, 60)
    with pytest.raises(
            MatFormatError,
            match=f'^{re.escape(str(path))}: truncated MATLAB file '
            r'\(60 bytes, shorter than the 128-byte header\)'):
        MatFile(str(path))


def test_load_mat_names_the_file_scipy_cannot_read(tmp_path):
    path = tmp_path / 'frame.jpg.mat'
    savemat(str(path), dict(box_new=np.ones((3, 5))))
    assert load_mat(str(path))['box_new'].shape == (3, 5)
    size = len(path.read_bytes()) // 2
    _cut(path, size)
    with pytest.raises(
            MatFormatError,
            match=f'^{re.escape(str(path))}: cannot read this MATLAB file '
            fr'\({size} bytes; '):
        load_mat(str(path))
