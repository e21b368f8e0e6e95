"""Background-influence transforms (BUFF Sec. 3.1) on hand-made images whose
expected pixels are known."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmdet.datasets.transforms import Resize
from mmdet.registry import TRANSFORMS

from mmps.datasets import PersonSearchDataset
from mmps.datasets.transforms import (BoxesToForegroundMasks, MeanBackground,
                                      MeanForeground, RandomBackground,
                                      RandomForeground)
from mmps.datasets.transforms.background_influence import (boxes_to_mask,
                                                           find_backgrounds)

BG = (10, 20, 30)  # BGR background of the hand-made image
MEAN_BGR = (104, 116, 124)  # ImageNet mean (RGB 123.675, 116.28, 103.53)
# box A covers rows 3..11, columns 2..9; box B (fractional) rows 4..18,
# columns 15..24 (partly covered pixels count as inside)
BOX_A = [2., 3., 10., 12.]
BOX_B = [15.5, 4.2, 25., 18.7]


def hand_mask() -> np.ndarray:
    mask = np.zeros((20, 30), bool)
    mask[3:12, 2:10] = True
    mask[4:19, 15:25] = True
    return mask


def hand_results(noisy_background: bool = False,
                 img_id: int = 7,
                 cam_id: int = 1) -> dict:
    """A 20x30 BGR image: constant (or noisy, channel 0 < 100) background;
    box A constant (200, 100, 50); box B a gradient with channel 0 >= 150."""
    img = np.empty((20, 30, 3), np.uint8)
    if noisy_background:
        img[:] = np.random.default_rng(1).integers(0, 100, (20, 30, 3))
    else:
        img[:] = BG
    img[3:12, 2:10] = (200, 100, 50)
    rows, cols = np.mgrid[4:19, 15:25]
    img[4:19, 15:25, 0] = 150 + rows
    img[4:19, 15:25, 1] = 10 * (cols - 15)
    img[4:19, 15:25, 2] = 77
    return dict(
        img=img,
        img_id=img_id,
        ori_shape=(20, 30),
        cam_id=cam_id,
        instances=[dict(bbox=BOX_A, person_id=3),
                   dict(bbox=BOX_B, person_id=-1)])


@pytest.mark.parametrize(
    'name',
    ['MeanBackground', 'MeanForeground', 'RandomForeground', 'RandomBackground'])
def test_registered(name, backgrounds):
    kwargs = dict(backgrounds=backgrounds) if name == 'RandomBackground' \
        else {}
    transform = TRANSFORMS.build(dict(type=name, **kwargs))
    assert type(transform).__name__ == name
    assert repr(transform).startswith(f'{name}(')


def test_boxes_to_mask_matches_hand_mask_and_foreground_masks():
    mask = boxes_to_mask(np.array([BOX_A, BOX_B]), 20, 30)
    np.testing.assert_array_equal(mask, hand_mask())
    seg = BoxesToForegroundMasks()(dict(
        img_shape=(20, 30), gt_bboxes=np.array([BOX_A, BOX_B])))['gt_seg_map']
    np.testing.assert_array_equal(mask, seg.astype(bool))
    assert not boxes_to_mask(np.zeros((0, 4)), 20, 30).any()


def test_mean_background_exact_pixels():
    res = hand_results()
    src = res['img'].copy()
    out = MeanBackground()(res)['img']
    expected = src.copy()
    expected[~hand_mask()] = MEAN_BGR
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.uint8
    rgb = MeanBackground(channel_order='rgb')(hand_results())['img']
    assert tuple(rgb[0, 0]) == MEAN_BGR[::-1]
    float_res = hand_results()
    float_res['img'] = float_res['img'].astype(np.float32)
    np.testing.assert_allclose(
        MeanBackground()(float_res)['img'][0, 0], (103.53, 116.28, 123.675), rtol=1e-6)


def test_mean_foreground_exact_pixels():
    res = hand_results()
    src = res['img']
    before = src.copy()
    out = MeanForeground()(res)['img']
    expected = before.copy()
    expected[hand_mask()] = MEAN_BGR
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(src, before)  # the input is not modified


def test_random_foreground_draws_background_pixels_by_seed():
    res = hand_results(noisy_background=True)
    src, mask = res['img'].copy(), hand_mask()
    out = RandomForeground(source='background', seed=3)(res)['img']
    np.testing.assert_array_equal(out[~mask], src[~mask])
    pool = {tuple(p) for p in src[~mask]}
    assert all(tuple(p) in pool for p in out[mask])
    assert (out[mask][:, 0] < 100).all()  # no person pixel survives
    assert len({tuple(p) for p in out[mask]}) > 50  # not one repeated pixel
    again = RandomForeground(
        source='background', seed=3)(
            hand_results(noisy_background=True))
    np.testing.assert_array_equal(again['img'], out)
    other_seed = RandomForeground(
        source='background', seed=4)(
            hand_results(noisy_background=True))
    assert (other_seed['img'] != out).any()
    other_img = RandomForeground(
        source='background', seed=3)(
            hand_results(True, img_id=8))
    assert (other_img['img'] != out).any()


def test_random_foreground_from_whole_image_by_default():
    """BUFF Sec. 3.1: "from the original image"."""
    assert RandomForeground().source == 'image'
    src = hand_results(noisy_background=True)['img']
    out = RandomForeground(seed=0)(hand_results(noisy_background=True))['img']
    pool = {tuple(p) for p in src.reshape(-1, 3)}
    assert all(tuple(p) in pool for p in out[hand_mask()])
    assert (out[hand_mask()][:, 0] >= 150).any()  # person pixels may be drawn


@pytest.fixture
def backgrounds(tmp_path):
    """Pure backgrounds: cameras 1 and 2 full size, camera 3 half size."""
    for name, value, shape in (('1.png', 40, (20, 30)), ('c2.png', 80, (20, 30)),
                               ('3.png', 120, (10, 15))):
        cv2.imwrite(str(tmp_path / name), np.full((*shape, 3), value, np.uint8))
    (tmp_path / 'notes.txt').write_text('ignored')
    return str(tmp_path)


def test_find_backgrounds(backgrounds, tmp_path):
    assert find_backgrounds(backgrounds) == {
        1: osp.join(backgrounds, '1.png'),
        2: osp.join(backgrounds, 'c2.png'),
        3: osp.join(backgrounds, '3.png')
    }
    cv2.imwrite(osp.join(backgrounds, 'c1.jpg'), np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(ValueError, match='camera 1 has two backgrounds'):
        find_backgrounds(backgrounds)
    with pytest.raises(FileNotFoundError, match='background folder not found'):
        find_backgrounds(str(tmp_path / 'nowhere'))
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match='no background image'):
        find_backgrounds(str(empty))


def test_random_background_pastes_boxes_on_other_camera(backgrounds):
    mask = hand_mask()
    transform = RandomBackground(backgrounds, seed=0)
    drawn = set()
    for img_id in range(12):
        src = hand_results(img_id=img_id, cam_id=1)['img']
        out = transform(hand_results(img_id=img_id, cam_id=1))['img']
        np.testing.assert_array_equal(out[mask], src[mask])
        values = np.unique(out[~mask])
        assert len(values) == 1  # one constant background (resized if needed)
        drawn.add(int(values[0]))
        again = RandomBackground(
            backgrounds, seed=0)(hand_results(img_id=img_id, cam_id=1))['img']
        np.testing.assert_array_equal(again, out)
    assert drawn == {80, 120}  # cameras 2 and 3, never the image's camera 1


def test_background_influence_errors(backgrounds):
    with pytest.raises(ValueError, match='at least two cameras'):
        RandomBackground({1: osp.join(backgrounds, '1.png')})
    with pytest.raises(FileNotFoundError, match='camera 5 not found'):
        RandomBackground({1: osp.join(backgrounds, '1.png'), 5: '/no/5.png'})
    no_camera = hand_results()
    del no_camera['cam_id']
    with pytest.raises(KeyError, match='has no .cam_id.'):
        RandomBackground(backgrounds)(no_camera)
    with pytest.raises(ValueError, match="source must be"):
        RandomForeground(source='noise')
    with pytest.raises(ValueError, match="channel_order must be"):
        MeanBackground(channel_order='bgra')
    resized = Resize(scale=(60, 40), keep_ratio=True)(hand_results())
    with pytest.raises(ValueError, match='before Resize'):
        MeanForeground()(resized)
    covered = hand_results()
    covered['instances'] = [dict(bbox=[0., 0., 30., 20.], person_id=1)]
    with pytest.raises(ValueError, match='cover it entirely'):
        RandomForeground(source='background')(covered)
    gray = hand_results()
    gray['img'] = gray['img'][..., 0]
    with pytest.raises(ValueError, match=r'needs an \(H, W, 3\) image'):
        MeanBackground()(gray)


def test_test_pipeline_masks_before_resize(tiny_root):
    """On the synthetic test pipeline (LoadImageFromFile, MB, Resize, ...),
    the packed image equals Resize(MB(original image))."""
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='MeanBackground'),
        dict(type='Resize', scale=(240, 160), keep_ratio=True),
        dict(type='LoadPersonSearchAnnotations', with_bbox=True),
        dict(type='PackPersonSearchInputs')
    ]
    dataset = PersonSearchDataset(
        data_root=tiny_root,
        ann_file='annotations/test.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=pipeline)
    info = dataset.get_data_info(0)
    packed = dataset[0]
    manual = Compose([
        dict(type='LoadImageFromFile'),
        dict(type='MeanBackground'),
        dict(type='Resize', scale=(240, 160), keep_ratio=True)
    ])(
        dict(
            img_path=info['img_path'],
            img_id=info['img_id'],
            instances=info['instances']))
    expected = torch.from_numpy(manual['img'].transpose(2, 0, 1).copy())
    assert torch.equal(packed['inputs'], expected)
    # the query boxes stay in the original frame
    sample = packed['data_samples']
    np.testing.assert_allclose(
        sample.query_instances.bboxes.numpy(),
        np.array([q['bbox'] for q in info['queries']], np.float32))
