"""The synthetic scene generator and the mmps-schema dataset it writes."""
import inspect
import json
import os
import os.path as osp

import cv2
import numpy as np

from mmps.datasets import validate_annotations
from mmps.datasets.synthetic import (DEFAULT_SYNTHETIC_CFG, build_synthetic_scenes,
                                     ensure_synthetic_dataset, make_synthetic_dataset,
                                     scenes_to_schema)
from mmps.datasets.synthetic.scene import appearance_key


def test_same_seed_same_data_other_seed_other_data(tiny_scenes, tiny_cfg):
    again = build_synthetic_scenes(**tiny_cfg)
    assert scenes_to_schema(again, 'test') == scenes_to_schema(tiny_scenes, 'test')
    assert all(np.array_equal(a, b) for a, b in zip(again.images, tiny_scenes.images))
    other = build_synthetic_scenes(**dict(tiny_cfg, seed=4))
    assert scenes_to_schema(other, 'train') != scenes_to_schema(tiny_scenes, 'train')


def test_identities_recur_across_cameras_and_splits_are_disjoint(tiny_scenes):
    cams = {}
    for plan in tiny_scenes.plans:
        for p in plan.persons:
            if p.person_id >= 0:
                cams.setdefault((plan.split, p.person_id), set()).add(plan.cam_id)
    for pid in tiny_scenes.train_ids:
        assert len(cams[('train', pid)]) >= 2
    for pid in tiny_scenes.test_ids:
        assert len(cams[('test', pid)]) >= 2
    assert not {k[1]
                for k in cams
                if k[0] == 'train'} & {k[1]
                                       for k in cams if k[0] == 'test'}


def test_appearance_is_fixed_per_identity_and_distinct(tiny_scenes):
    looks = {}
    for plan in tiny_scenes.plans:
        for p in plan.persons:
            if p.person_id >= 0:
                looks.setdefault(p.person_id, set()).add(p.appearance)
    assert all(len(v) == 1 for v in looks.values())
    keys = [appearance_key(a) for (a, ) in (tuple(v) for v in looks.values())]
    assert len(set(keys)) == len(keys)


def test_passers_by_masks_and_boxes(tiny_scenes, tiny_cfg):
    h, w = tiny_cfg['image_size']
    persons = [p for plan in tiny_scenes.plans for p in plan.persons]
    assert any(p.person_id == -1 for p in persons)
    for p in persons:
        x, y, bw, bh = p.bbox
        assert 0 <= x and 0 <= y and x + bw <= w and y + bh <= h
        ys, xs = np.nonzero(p.mask)
        if len(xs):  # visible pixels lie inside the box
            assert xs.min() >= x and xs.max() < x + bw
            assert ys.min() >= y and ys.max() < y + bh
    assert any(p.visible_fraction < 0.95 for p in persons)  # occlusion


def test_cameras_have_distinct_backgrounds(tiny_scenes, tiny_cfg):
    corners = {}
    for plan, img in zip(tiny_scenes.plans, tiny_scenes.images):
        corners.setdefault(plan.cam_id, img[:4, :4].mean())
    assert len(corners) == tiny_cfg['num_cameras']
    assert len({round(v) for v in corners.values()}) == len(corners)


def test_protocol_queries_and_galleries(tiny_scenes, tiny_cfg):
    proto = scenes_to_schema(tiny_scenes, 'test')['protocol']
    assert len(proto['queries']) == tiny_cfg['num_test_ids']
    assert sorted(q['person_id'] for q in proto['queries']) == \
        tiny_scenes.test_ids
    for size, lists in proto['galleries'].items():
        for q, gallery in zip(proto['queries'], lists):
            assert len(gallery) == min(int(size), tiny_cfg['num_test_images'] - 1)
            assert q['image_id'] not in gallery


def test_written_dataset_is_valid_and_readable(tiny_root):
    for split in ('train', 'test'):
        ann = osp.join(tiny_root, 'annotations', f'{split}.json')
        report = validate_annotations(ann, osp.join(tiny_root, 'images'))
        assert report.violations == []
    data = json.load(open(osp.join(tiny_root, 'annotations', 'train.json')))
    first = data['images'][0]
    img = cv2.imread(osp.join(tiny_root, 'images', first['file_name']))
    assert img.shape == (first['height'], first['width'], 3)
    assert any('segmentation' in a for a in data['annotations'])


def test_ensure_is_idempotent(tmp_path, tiny_cfg):
    root = str(tmp_path / 'syn')
    paths = ensure_synthetic_dataset(
        root, **dict(tiny_cfg, num_train_images=6, num_test_images=6))
    stamp = os.stat(paths['train']).st_mtime_ns
    assert ensure_synthetic_dataset(root) == paths
    assert os.stat(paths['train']).st_mtime_ns == stamp


def test_function_defaults_match_default_cfg():
    """A bare make_synthetic_dataset(out_dir) writes the default dataset."""
    for fn in (build_synthetic_scenes, make_synthetic_dataset):
        params = inspect.signature(fn).parameters
        assert {k: params[k].default
                for k in DEFAULT_SYNTHETIC_CFG} == DEFAULT_SYNTHETIC_CFG
