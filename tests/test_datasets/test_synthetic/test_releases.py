"""Miniature CUHK-SYSU and PRW releases written by the synthetic generator,
and the command line that writes them."""
import os.path as osp

from scipy.io import loadmat

from mmps.datasets.synthetic import write_cuhk_sysu_release, write_lsps_release
from mmps.testing import run_tool


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
    assert test['TestG4'][0, 0]['Query'].dtype.names == ('imname', 'idlocate', 'ishard',
                                                         'idname')
    assert test['TestG4'][0, 0]['Gallery'].shape == (1, 4)


def test_make_synthetic_refuses_limits_for_the_mmps_format(tmp_path):
    """--max-* and --no-render apply to the release formats only; the
    build_synthetic_scenes default, given explicitly, is still refused."""
    result = run_tool(
        'dataset_converters/make_synthetic.py',
        str(tmp_path / 'out'),
        '--max-labelled',
        '3',
        check=False)
    assert result.returncode == 2
    assert '--no-render and --max-* apply to --format cuhk_sysu and prw ' \
        'only' in result.stderr
    assert not osp.exists(tmp_path / 'out')


def test_lsps_release_reads_as_pcnetps_reads_it(tiny_scenes, tmp_path):
    """The line formats of PCNetPS's ``lsps_dataset.py``: tab-separated; a
    coordinate line ends with a tab (its last field is dropped), the others
    lose their last character (the newline); the camera is the third ``_``
    field of the file name."""
    root = str(tmp_path / 'lsps')
    manifest = write_lsps_release(tiny_scenes, root)

    def fields(name, drop_last):
        with open(osp.join(root, name), newline='') as f:
            lines = [line.split('\t') for line in f]
        return [
            line[:-1] if drop_last else line[:-1] + [line[-1][:-1]] for line in lines
        ]

    for split in ('train', 'test'):
        coords = {
            line[0]: [int(v) for v in line[1:]]
            for line in fields(f'{split}_frame_coord.txt', True)
        }
        ids = {
            line[0]: [int(v) for v in line[1:]]
            for line in fields(f'{split}_frame_id.txt', False)
        }
        shapes = {
            line[0]: [int(v) for v in line[1:]]
            for line in fields(f'{split}_shape.txt', False)
        }
        for plan in tiny_scenes.plans:
            if plan.split != split:
                continue
            name = manifest['names'][plan.index]
            assert osp.isfile(osp.join(root, split, name))
            assert shapes[name] == list(tiny_scenes.image_size)
            assert int(name.split('_')[2]) == plan.cam_id + 1
            assert ids.get(name, []) == [p.person_id for p in plan.persons]
            assert coords.get(name, []) == [
                int(v) for p in plan.persons
                for v in (p.bbox[0], p.bbox[1], p.bbox[0] + p.bbox[2],
                          p.bbox[1] + p.bbox[3])
            ]
    queries = [(line[1], [float(v) for v in line[2:]], int(line[0]))
               for line in fields('query_info.txt', False)]
    assert queries == [(name, [x, y, x + w, y + h], pid)
                       for name, (x, y, w, h), pid in manifest['queries']]
