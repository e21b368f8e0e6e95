"""Miniature CUHK-SYSU and PRW releases written by the synthetic generator,
and the command line that writes them."""
import os.path as osp

from scipy.io import loadmat

from mmps.datasets.synthetic import write_cuhk_sysu_release
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
