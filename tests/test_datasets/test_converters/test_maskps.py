"""The maskPS converter on a test-written release: Labelme polygons and PNG
masks reach the labelled boxes they belong to, the rest is counted, and
bad input fails naming the file."""
import json
import os.path as osp

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest

from mmps.datasets import PersonSearchDataset
from mmps.datasets.converters.maskps import convert_maskps, match_masks
from mmps.datasets.validation import validate_annotations
from mmps.testing import run_tool

H, W = 48, 64


def _ann(ann_id, image_id, bbox, person_id):
    return dict(
        id=ann_id,
        image_id=image_id,
        category_id=1,
        bbox=bbox,
        area=bbox[2] * bbox[3],
        iscrowd=0,
        person_id=person_id,
        mask_source='box')


def _image(image_id, name):
    return dict(id=image_id, file_name=name, width=W, height=H, cam_id=0)


@pytest.fixture
def release(tmp_path):
    """``mmps/train.json`` (3 images), ``mmps/test.json`` (1 image) and a
    maskPS folder: Labelme for s1, an instance-valued PNG for s2, a
    per-person PNG for s3, an image file and a PRW mask to skip."""
    mmps_dir = tmp_path / 'mmps'
    mmps_dir.mkdir()
    train = dict(
        info=dict(split='train'),
        categories=[dict(id=1, name='person')],
        images=[_image(1, 's1.jpg'),
                _image(2, 's2.jpg'),
                _image(3, 's3.jpg')],
        annotations=[
            _ann(1, 1, [4, 4, 16, 36], 7),
            _ann(2, 1, [24, 4, 16, 36], 9),
            _ann(3, 1, [44, 4, 16, 36], -1),
            _ann(4, 2, [4, 8, 20, 36], 7),
            _ann(5, 2, [34, 8, 20, 36], 11),
            _ann(6, 3, [10, 10, 20, 30], 12),
        ])
    (mmps_dir / 'train.json').write_text(json.dumps(train))
    test = dict(
        info=dict(split='test'),
        categories=[dict(id=1, name='person')],
        images=[_image(50, 's50.jpg')],
        annotations=[_ann(50, 50, [4, 4, 16, 36], 3)],
        protocol=dict(queries=[]))
    (mmps_dir / 'test.json').write_text(json.dumps(test))

    masks = tmp_path / 'maskPS' / 'CUHK'
    masks.mkdir(parents=True)

    def rect(x1, y1, x2, y2):
        return [[x1, y1], [x2, y1], [x2, y2], [x1, y2]]

    shapes = [
        # person 7: two parts grouped by group_id, a bag sticking out
        dict(
            label='person', group_id=1, points=rect(6, 6, 18, 38),
            shape_type='polygon'),
        dict(
            label='bag', group_id=1, points=rect(18, 20, 23, 30), shape_type='polygon'),
        # person 9: grouped by its label
        dict(label='p9', points=rect(26, 6, 38, 38)),
        # on the unlabelled person: no labelled box takes it
        dict(label='p_unlabelled', points=rect(46, 6, 58, 38)),
        dict(label='broken', group_id=5, points=[[1, 1], [2, 2]]),
        dict(label='box', shape_type='rectangle', points=[[0, 0], [3, 3]]),
    ]
    (masks / 's1.json').write_text(
        json.dumps(dict(shapes=shapes, imagePath='..\\Image\\SSM\\s1.jpg')))
    instances = np.zeros((H, W), np.uint8)
    instances[10:42, 36:52] = 2  # person 11, listed second
    instances[10:42, 6:22] = 1  # person 7
    cv2.imwrite(str(masks / 's2.png'), instances)
    single = np.zeros((H, W), np.uint8)
    single[12:38, 12:28] = 255
    cv2.imwrite(str(masks / 's3_0.png'), single)
    cv2.imwrite(str(masks / 's3.jpg'), np.zeros((H, W, 3), np.uint8))
    (tmp_path / 'Image').mkdir()
    for name in ('s1', 's2', 's3'):
        cv2.imwrite(
            str(tmp_path / 'Image' / f'{name}.jpg'), np.zeros((H, W, 3), np.uint8))
    (tmp_path / 'maskPS' / 'readme.txt').write_text('images and masks')
    cv2.imwrite(str(masks / 'prw_c1s1_000151.png'), single)
    return tmp_path


def test_masks_reach_their_labelled_boxes(release):
    out = str(release / 'mmps' / 'train_maskps.json')
    stats = convert_maskps(
        str(release / 'maskPS'), str(release / 'mmps' / 'train.json'), out)
    with open(out) as f:
        data = json.load(f)
    assert not validate_annotations(out).violations  # check_dataset passes
    by_id = {a['id']: a for a in data['annotations']}
    sources = {k: a['mask_source'] for k, a in by_id.items()}
    assert sources == {
        1: 'annotated',
        2: 'annotated',
        3: 'box',
        4: 'annotated',
        5: 'annotated',
        6: 'annotated'
    }
    # Labelme: the group's polygons, as drawn
    assert by_id[1]['segmentation'] == [[6., 6., 18., 6., 18., 38., 6., 38.],
                                        [18., 20., 23., 20., 23., 30., 18., 30.]]
    assert by_id[2]['segmentation'] == [[26., 6., 38., 6., 38., 38., 26., 38.]]
    # PNG: RLE of the instance, each value to its own box
    for ann_id, (x1, x2) in ((4, (6, 22)), (5, (36, 52))):
        rle = by_id[ann_id]['segmentation']
        assert rle['size'] == [H, W] and isinstance(rle['counts'], str)
        decoded = mask_utils.decode(rle)
        assert decoded.sum() == 32 * 16 and decoded[10:42, x1:x2].all()
    assert mask_utils.decode(by_id[6]['segmentation']).sum() == 26 * 16
    assert stats['images_with_masks'] == 3 and stats['other_images'] == 0
    assert stats['masked_labelled'] == 5
    assert stats['unlabelled'] == 1
    assert stats['unmatched_masks'] == 1  # the unlabelled person's
    assert stats['short_polygons'] == 1
    assert stats['outside_split'] == 1  # the PRW mask
    assert stats['mask_files'] == 4
    # the dataset reads them as real masks
    ds = PersonSearchDataset(
        data_root=str(release),
        ann_file=out,
        data_prefix=dict(img=str(release / 'Image')),
        pipeline=[])
    assert ds.metainfo['num_mask_instances'] == 5


def test_hungarian_matching_prefers_the_best_total_share():
    masks = [np.zeros((H, W), bool) for _ in range(2)]
    masks[0][0:20, 0:20] = True
    masks[1][0:20, 10:30] = True
    # box 0 covers both masks fully; box 1 only mask 1
    boxes = np.array([[0., 0., 30., 20.], [10., 0., 30., 20.]])
    assert match_masks(masks, boxes, 0.5) == [(0, 0), (1, 1)]
    assert match_masks(masks, boxes[:0], 0.5) == []
    assert match_masks([masks[0]], boxes[1:], 0.5) == [(0, 0)]
    assert match_masks([masks[0]], boxes[1:], 0.6) == []


def test_bad_release_files_are_named(release):
    out = str(release / 'out.json')
    train = str(release / 'mmps' / 'train.json')
    (release / 'maskPS' / 'CUHK' / 'masks.mat').write_bytes(b'\0')
    with pytest.raises(ValueError, match=r'masks.mat: unknown file type \'.mat\''):
        convert_maskps(str(release / 'maskPS'), train, out)
    (release / 'maskPS' / 'CUHK' / 'masks.mat').unlink()
    cv2.imwrite(str(release / 'maskPS' / 'CUHK' / 's50.png'), np.ones((H, W), np.uint8))
    with pytest.raises(ValueError, match='s50.png: a mask of test image s50'):
        convert_maskps(str(release / 'maskPS'), train, out)
    empty = release / 'empty'
    empty.mkdir()
    (empty / 'a.jpg').write_bytes(b'')
    with pytest.raises(ValueError, match=r'file types found: \.jpg \(1\)'):
        convert_maskps(str(empty), train, out)
    assert not osp.exists(out)


def test_command_line_writes_the_file_and_prints_table_1_rows(release):
    out = str(release / 'mmps' / 'train_maskps.json')
    result = run_tool('dataset_converters/maskps.py', str(release / 'maskPS'),
                      str(release / 'mmps' / 'train.json'), '--out', out)
    assert 'images with masks: 3 (labelled persons masked: 5' in result.stdout
    assert 'unmatched masks: 1, polygons with < 3 points: 1' in result.stdout
    assert osp.isfile(out)
    failed = run_tool(
        'dataset_converters/maskps.py',
        str(release / 'nowhere'),
        str(release / 'mmps' / 'train.json'),
        '--out',
        out,
        check=False)
    assert failed.returncode == 1
    assert 'maskPS folder' in failed.stderr and 'does not exist' in failed.stderr
