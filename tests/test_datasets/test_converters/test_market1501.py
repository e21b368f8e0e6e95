"""Market-1501 label list for mmdet's ReIDDataset."""
import os
import os.path as osp
from pathlib import Path

import pytest
from mmdet.datasets import ReIDDataset

from mmps.datasets.converters import convert_market1501
from mmps.testing import run_tool

NAMES = [
    '0002_c1s1_000451_03.jpg', '0002_c2s1_000301_01.jpg', '0007_c3s3_077419_03.jpg',
    '1500_c6s4_001910_02.jpg', '0000_c1s1_000000_01.jpg', '-1_c1s1_000401_03.jpg',
    '-1_c3s1_000551_01.jpg'
]


def _release(root: Path, names=NAMES) -> str:
    folder = root / 'bounding_box_train'
    folder.mkdir(parents=True)
    for name in names:
        (folder / name).write_bytes(b'')
    (folder / 'Thumbs.db').write_bytes(b'')  # non-images are ignored
    return str(root)


def test_label_list_skips_junk_and_distractors(tmp_path: Path):
    root = _release(tmp_path / 'market')
    summary = convert_market1501(root)
    assert summary == dict(images=4, ids=3, junk=2, distractors=1)
    lines = (Path(root) / 'mmps' / 'train.txt').read_text().splitlines()
    assert lines == [
        '0002_c1s1_000451_03.jpg 0', '0002_c2s1_000301_01.jpg 0',
        '0007_c3s3_077419_03.jpg 1', '1500_c6s4_001910_02.jpg 2'
    ]
    dataset = ReIDDataset(
        ann_file=osp.join(root, 'mmps', 'train.txt'),
        data_prefix=dict(img_path=osp.join(root, 'bounding_box_train')),
        pipeline=[],
        lazy_init=False)
    assert len(dataset) == 4 and sorted(dataset.pids.tolist()) == [0, 1, 2]
    assert dataset[2]['img_path'].endswith('0007_c3s3_077419_03.jpg')


def test_cli_prints_the_counts(tmp_path: Path):
    root = _release(tmp_path / 'market')
    result = run_tool('dataset_converters/market1501.py', root, '--out-dir',
                      str(tmp_path / 'out'))
    assert 'train.txt: 4 images of 3 ids; skipped 2 junk (-1) and 1 distractor' in \
        result.stdout
    assert os.path.exists(tmp_path / 'out' / 'train.txt')


def test_missing_folder_and_bad_names_are_refused(tmp_path: Path):
    with pytest.raises(
            FileNotFoundError, match='Market-1501 bounding_box_train folder not found'):
        convert_market1501(str(tmp_path))
    root = _release(tmp_path / 'bad', names=['0002_c1s1_000451_03.jpg', 'p2_c1.jpg'])
    with pytest.raises(ValueError, match=r'p2_c1.jpg: not a Market-1501 crop name'):
        convert_market1501(root)
    root = _release(tmp_path / 'junk_only', names=['-1_c1s1_000401_03.jpg'])
    with pytest.raises(ValueError, match='holds no labelled crop'):
        convert_market1501(root)
