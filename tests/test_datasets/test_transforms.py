import numpy as np
import pytest
import torch
from mmdet.datasets.transforms import (FilterAnnotations, RandomCrop,
                                       RandomFlip, Resize)
from mmdet.structures.mask import BitmapMasks, PolygonMasks

from mmps.datasets.transforms import (BoxesToForegroundMasks,
                                      KeepInstancesAligned,
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
                 person_id=4, mask_valid=True,
                 mask=[[10, 5, 30, 5, 30, 35, 10, 35]]),
            dict(bbox=[60., 0., 90., 40.], bbox_label=0, ignore_flag=0,
                 person_id=-1, mask_valid=False),  # its box stands in
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


def _three_persons():
    """A real mask, a box stand-in and a stand-in written as a polygon."""
    results = _results()
    results['instances'] = [
        results['instances'][1],
        dict(bbox=[40., 2., 55., 38.], bbox_label=0, ignore_flag=0,
             person_id=9, mask_valid=False,
             mask=[[40, 2, 55, 2, 55, 38, 40, 38]]),
        results['instances'][0],
    ]
    return LoadPersonSearchAnnotations(with_mask=True)(results)


def test_mask_valid_survives_resize_and_flip():
    res = _three_persons()
    assert res['gt_masks_valid'].dtype == bool
    assert res['gt_masks_valid'].tolist() == [False, False, True]
    res = Resize(scale=(200, 80), keep_ratio=True)(res)
    res = RandomFlip(prob=1.0)(res)
    sample = PackPersonSearchInputs()(res)['data_samples']
    gt = sample.gt_instances
    assert gt.mask_valid.dtype == torch.bool
    assert gt.mask_valid.tolist() == [False, False, True]
    assert gt.person_ids.tolist() == [-1, 9, 4]
    # the real mask is the flipped left person: x in [140, 180) at scale 2
    real = gt.masks.masks[2]
    assert real[40, 160] == 1 and real[40, 40] == 0
    # a flag without a usable polygon falls back to the box, not valid
    res = _results()
    res['instances'][0]['mask'] = [[1, 2, 3, 4]]
    res = LoadPersonSearchAnnotations(with_mask=True)(res)
    assert res['gt_masks_valid'].tolist() == [False, False]


def test_random_crop_drops_ids_and_flags_with_their_boxes():
    res = _three_persons()
    crop = RandomCrop(crop_size=(50, 40), allow_negative_crop=True)
    # crop x in [0, 50): the right person leaves, the middle one is cut
    crop._rand_offset = lambda margin: (0, 0)
    res = KeepInstancesAligned([crop])(res)
    assert res['gt_bboxes'].numpy().shape == (2, 4)
    assert res['gt_instances_ids'].tolist() == [9, 4]
    assert res['gt_masks_valid'].tolist() == [False, True]
    assert res['gt_bboxes_labels'].tolist() == [0, 0]
    assert len(res['gt_masks']) == 2
    packed = PackPersonSearchInputs()(res)['data_samples'].gt_instances
    assert packed.mask_valid.tolist() == [False, True]


def test_filter_annotations_keeps_flags_aligned():
    res = _three_persons()
    # only the middle (15 px wide) person is not wider than 16 px
    wrapped = KeepInstancesAligned(
        [dict(type='FilterAnnotations', min_gt_bbox_wh=(16, 16))])
    res = wrapped(res)
    assert res['gt_instances_ids'].tolist() == [-1, 4]
    assert res['gt_masks_valid'].tolist() == [False, True]
    # mmdet drops a sample left without boxes; so does the wrapper
    assert KeepInstancesAligned(
        [dict(type='FilterAnnotations', min_gt_bbox_wh=(99, 99))])(
            _three_persons()) is None


def test_unwrapped_filter_is_caught_when_packing():
    res = FilterAnnotations(min_gt_bbox_wh=(16, 16))(_three_persons())
    with pytest.raises(ValueError, match='KeepInstancesAligned'):
        PackPersonSearchInputs()(res)


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
