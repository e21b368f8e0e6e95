"""PackPersonSearchInputs: person ids, mask flags, query boxes, the
camera id and the instance map reach the data sample."""
import numpy as np
import pytest
import torch
from mmdet.datasets.transforms import FilterAnnotations, Resize
from mmdet.registry import TRANSFORMS

from mmps.datasets.transforms import LoadPersonSearchAnnotations, PackPersonSearchInputs


def test_registered():
    transform = TRANSFORMS.build(dict(type='PackPersonSearchInputs'))
    assert isinstance(transform, PackPersonSearchInputs)
    assert 'cam_id' in transform.meta_keys


def test_pack_person_search_inputs(loaded_two_persons, two_persons):
    res = loaded_two_persons()
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
    train = LoadPersonSearchAnnotations()(two_persons())
    assert 'query_instances' not in PackPersonSearchInputs()(train)['data_samples']


def test_unwrapped_filter_is_caught_when_packing(three_persons):
    res = FilterAnnotations(min_gt_bbox_wh=(16, 16))(three_persons())
    with pytest.raises(ValueError, match='KeepInstancesAligned'):
        PackPersonSearchInputs()(res)


def test_instance_map_is_packed_at_the_original_size(loaded_two_persons):
    res = loaded_two_persons()
    res['instance_map'] = np.zeros((40, 100), np.int32)
    res['instance_map'][5:35, 10:30] = 2
    res = Resize(scale=(200, 80), keep_ratio=True)(res)
    sample = PackPersonSearchInputs()(res)['data_samples']
    assert sample.instance_map.dtype == torch.int32
    assert sample.instance_map.shape == (40, 100)  # not resized
    assert sample.instance_map.sum() == 2 * 30 * 20
    assert 'instance_map' not in PackPersonSearchInputs()(
        loaded_two_persons())['data_samples']
