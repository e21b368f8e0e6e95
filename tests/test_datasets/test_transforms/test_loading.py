"""LoadPersonSearchAnnotations: person ids, query boxes and masks with
their validity flags, kept aligned by mmdet's flip and resize."""
import numpy as np
import torch
from mmdet.datasets.transforms import RandomFlip, Resize
from mmdet.registry import TRANSFORMS
from mmdet.structures.mask import BitmapMasks, PolygonMasks

from mmps.datasets.transforms import LoadPersonSearchAnnotations, PackPersonSearchInputs


def test_registered():
    transform = TRANSFORMS.build(
        dict(type='LoadPersonSearchAnnotations', with_query=False))
    assert isinstance(transform, LoadPersonSearchAnnotations)
    assert 'with_person_id=True, with_query=False)' in repr(transform)


def test_load_ids_queries_and_masks(loaded_two_persons):
    res = loaded_two_persons(with_mask=True)
    assert res['gt_instances_ids'].tolist() == [4, -1]
    assert res['gt_instances_ids'].dtype == np.int64
    assert res['query_bboxes'].shape == (2, 4)
    assert res['query_indices'].tolist() == [2, -1]
    assert isinstance(res['gt_masks'], BitmapMasks)
    masks = res['gt_masks'].masks
    assert masks.shape == (2, 40, 100)
    assert masks[1, 10, 75] == 1 and masks[1, 10, 50] == 0
    poly = loaded_two_persons(with_mask=True, poly2mask=False)['gt_masks']
    assert isinstance(poly, PolygonMasks) and len(poly) == 2


def test_resize_flip_keep_boxes_ids_masks_aligned(loaded_two_persons):
    res = loaded_two_persons(with_mask=True)
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


def test_mask_valid_survives_resize_and_flip(three_persons, two_persons):
    res = three_persons()
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
    res = two_persons()
    res['instances'][0]['mask'] = [[1, 2, 3, 4]]
    res = LoadPersonSearchAnnotations(with_mask=True)(res)
    assert res['gt_masks_valid'].tolist() == [False, False]
