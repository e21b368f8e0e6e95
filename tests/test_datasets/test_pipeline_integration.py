"""The synthetic dataset config's pipelines end to end: boxes, ids and mask
flags stay aligned through resize and flip; queries keep their frame."""
import json
import os.path as osp
import shutil

import numpy as np
import torch
from mmdet.registry import DATASETS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from mmps.testing import get_config_file


def _cfg(split):
    cfg = Config.fromfile(get_config_file('_base_/datasets/synthetic.py'))
    loader = cfg.train_dataloader if split == 'train' else cfg.test_dataloader
    return loader.dataset


def _partial_masks(tiny_root, tmp_path):
    """A copy of the tiny split where every other person has no mask."""
    root = str(tmp_path / 'partial')
    shutil.copytree(tiny_root, root)
    path = osp.join(root, 'annotations', 'train.json')
    data = json.load(open(path))
    for ann in data['annotations'][::2]:
        ann.pop('segmentation', None)
        ann['mask_source'] = 'box'
    json.dump(data, open(path, 'w'))
    return root


def test_train_pipeline_keeps_boxes_ids_masks_aligned(tiny_root, tmp_path, tiny_cfg):
    cfg = _cfg('train')
    cfg.data_root = _partial_masks(tiny_root, tmp_path)
    h, w = tiny_cfg['image_size']
    cfg.pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadPersonSearchAnnotations', with_mask=True),
        dict(type='Resize', scale=(2 * w, 2 * h), keep_ratio=True),
        dict(type='RandomFlip', prob=1.0),
        dict(type='PackPersonSearchInputs')
    ]
    ds = DATASETS.build(cfg)
    k = next(
        i for i in range(len(ds))
        if {inst['mask_valid']
            for inst in ds.get_data_info(i)['instances']} == {True, False})
    info = ds.get_data_info(k)
    sample = ds[k]['data_samples']
    orig = np.asarray([i['bbox'] for i in info['instances']])
    expect = np.stack([
        2 * w - 2 * orig[:, 2], 2 * orig[:, 1], 2 * w - 2 * orig[:, 0], 2 * orig[:, 3]
    ], 1)
    gt = sample.gt_instances
    np.testing.assert_allclose(gt.bboxes.numpy(), expect, atol=1e-4)
    assert gt.person_ids.tolist() == [i['person_id'] for i in info['instances']]
    valid = [i['mask_valid'] for i in info['instances']]
    assert gt.mask_valid.tolist() == valid
    masks = gt.masks.masks
    assert masks.shape == (len(orig), 2 * h, 2 * w)
    for mask, (x1, y1, x2, y2), real in zip(masks, expect, valid):
        ys, xs = np.nonzero(mask)
        if len(xs):  # a fully occluded person has an empty mask
            assert xs.min() >= x1 - 2 and xs.max() <= x2 + 1
            assert ys.min() >= y1 - 2 and ys.max() <= y2 + 1
        if not real:  # the stand-in fills its (flipped) box
            assert mask[int(y1) + 1:int(y2) - 1, int(x1) + 1:int(x2) - 1].all()
    assert sample.metainfo['flip'] and sample.metainfo['cam_id'] == \
        info['cam_id']
    batch = pseudo_collate([ds[0], ds[1]])
    assert len(batch['data_samples']) == 2


def test_test_pipeline_carries_queries_in_original_frame(tiny_root):
    cfg = _cfg('test')
    cfg.data_root = tiny_root
    ds = DATASETS.build(cfg)
    q0 = ds.protocol['queries'][0]
    k = next(
        i for i in range(len(ds)) if ds.get_data_info(i)['img_id'] == q0['image_id'])
    sample = ds[k]['data_samples']
    q = sample.query_instances
    first = int((q.query_indices == 0).nonzero()[0, 0])
    assert torch.allclose(q.bboxes[first], torch.tensor(q0['bbox']))
    assert sample.metainfo['img_id'] == q0['image_id']
    assert 'scale_factor' in sample.metainfo
