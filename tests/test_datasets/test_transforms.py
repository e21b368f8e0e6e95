import numpy as np
import pytest
import torch
from mmdet.datasets.transforms import RandomCrop, RandomFlip, Resize
from mmdet.structures.mask import BitmapMasks, PolygonMasks

from mmps.datasets.transforms import (BoxesToForegroundMasks,
                                      LoadPersonSearchAnnotations,
                                      PackPersonSearchInputs)


def _results(with_queries=False):
    """A 40x100 (h x w) image with two persons whose answer is known."""
    img = np.zeros((40, 100, 3), np.uint8)
    results = dict(
        img=img,
        img_id=5,
        img_path='x.jpg',
        img_shape=(40, 100),
        ori_shape=(40, 100),
        cam_id=3,
        instances=[
            dict(bbox=[10., 5., 30., 35.], bbox_label=0, ignore_flag=0,
                 person_id=4, mask=[[10, 5, 30, 5, 30, 35, 10, 35]]),
            dict(bbox=[60., 0., 90., 40.], bbox_label=0, ignore_flag=0,
                 person_id=-1),  # no mask: its box stands in
        ])
    if with_queries:
        results['queries'] = [
            dict(bbox=[10., 5., 30., 35.], query_index=2),
            dict(bbox=[60., 0., 90., 40.], query_index=-1)
        ]
    return results


def _load(**kwargs):
    return LoadPersonSearchAnnotations(with_bbox=True, **kwargs)(_results(
        with_queries=True))


def test_load_ids_queries_and_masks():
    res = _load(with_mask=True)
    assert res['gt_instances_ids'].tolist() == [4, -1]
    assert res['gt_instances_ids'].dtype == np.int64
    assert res['query_bboxes'].shape == (2, 4)
    assert res['query_indices'].tolist() == [2, -1]
    assert isinstance(res['gt_masks'], BitmapMasks)
    masks = res['gt_masks'].masks
    assert masks.shape == (2, 40, 100)
    assert masks[1, 10, 75] == 1 and masks[1, 10, 50] == 0
    poly = _load(with_mask=True, poly2mask=False)['gt_masks']
    assert isinstance(poly, PolygonMasks) and len(poly) == 2


def test_resize_flip_keep_boxes_ids_masks_aligned():
    res = _load(with_mask=True)
    res = Resize(scale=(200, 80), keep_ratio=True)(res)
    res = RandomFlip(prob=1.0)(res)
    boxes = res['gt_bboxes'].numpy()
    # x2 scale, then horizontal flip in a 200-wide image
    np.testing.assert_allclose(boxes[0], [140, 10, 180, 70])
    np.testing.assert_allclose(boxes[1], [20, 0, 80, 80])
    assert res['gt_instances_ids'].tolist() == [4, -1]
    m = res['gt_masks'].masks
    assert m[0, 40, 160] == 1 and m[0, 40, 100] == 0
    assert m[1, 40, 50] == 1
    # query boxes stay in the original frame
    np.testing.assert_allclose(res['query_bboxes'][0], [10, 5, 30, 35])


def test_random_crop_drops_ids_with_their_boxes():
    res = _load(with_mask=True)
    crop = RandomCrop(crop_size=(40, 50), allow_negative_crop=True)
    # force the crop to the left half: the right person leaves the image
    crop._rand_offset = lambda margin: (0, 0)
    res = crop(res)
    assert res['gt_bboxes'].numpy().shape == (1, 4)
    assert res['gt_instances_ids'].tolist() == [4]
    assert len(res['gt_masks']) == 1


def test_pack_person_search_inputs():
    res = _load()
    res = Resize(scale=(200, 80), keep_ratio=True)(res)
    packed = PackPersonSearchInputs()(res)
    sample = packed['data_samples']
    assert sample.gt_instances.person_ids.tolist() == [4, -1]
    assert sample.gt_instances.person_ids.dtype == torch.int64
    assert sample.gt_instances.labels.tolist() == [0, 0]
    q = sample.query_instances
    assert q.bboxes.dtype == torch.float32
    assert q.bboxes[0].tolist() == [10, 5, 30, 35]
    assert q.query_indices.tolist() == [2, -1]
    assert sample.metainfo['cam_id'] == 3
    assert sample.metainfo['scale_factor'] == (2.0, 2.0)
    train = LoadPersonSearchAnnotations()(_results())
    assert 'query_instances' not in PackPersonSearchInputs()(train)[
        'data_samples']


@pytest.mark.parametrize('mode', ['semantic', 'instance'])
def test_boxes_to_foreground_masks(mode):
    res = LoadPersonSearchAnnotations()(_results())
    res = Resize(scale=(200, 80), keep_ratio=True)(res)
    res = BoxesToForegroundMasks(mode=mode)(res)
    if mode == 'semantic':
        seg = res['gt_seg_map']
        assert seg.shape == (80, 200)
        assert seg[40, 50] == 1 and seg[40, 150] == 1 and seg[40, 100] == 0
        assert seg.sum() == 40 * 60 + 60 * 80
    else:
        masks = res['gt_masks'].masks
        assert masks.shape == (2, 80, 200)
        assert masks[0].sum() == 40 * 60 and masks[1].sum() == 60 * 80
    with pytest.raises(ValueError, match='mode'):
        BoxesToForegroundMasks(mode='soft')
