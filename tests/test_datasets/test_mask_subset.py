"""PersonSearchDataset(mask_subset=...): the images that keep their masks
(SMG, Table 4's alpha) are a seeded, nested subset, counted in metainfo,
identical in both flip copies; bad requests fail clearly."""
import json
import os.path as osp
import warnings

import pytest
from mmdet.registry import DATASETS
from mmengine.config import Config

from mmps.datasets import PersonSearchDataset
from mmps.testing import get_config_file


def _dataset(root, ann_file='annotations/train.json', pipeline=(), **kwargs):
    return PersonSearchDataset(
        data_root=root,
        ann_file=ann_file,
        data_prefix=dict(img='images/'),
        pipeline=list(pipeline),
        **kwargs)


def _infos(ds):
    return [ds.get_data_info(k) for k in range(len(ds))]


def _masked_images(ds):
    return {
        info['img_id']
        for info in _infos(ds) if any(i['mask_valid'] for i in info['instances'])
    }


def _num_images(root):
    with open(osp.join(root, 'annotations', 'train.json')) as f:
        return len(json.load(f)['images'])


def test_fraction_of_all_images_keeps_their_masks_only(tiny_root):
    full = _dataset(tiny_root)
    ds = _dataset(tiny_root, mask_subset=dict(fraction=0.25, seed=0))
    wanted = round(0.25 * _num_images(tiny_root))
    assert 0 < wanted < full.metainfo['num_mask_images']
    assert ds.metainfo['num_mask_images'] == len(_masked_images(ds)) == wanted
    kept = [i for info in _infos(ds) for i in info['instances'] if i['mask_valid']]
    assert ds.metainfo['num_mask_instances'] == len(kept)
    assert all('mask' in i for i in kept)
    for info in _infos(ds):
        if info['img_id'] not in _masked_images(ds):
            assert not any('mask' in i for i in info['instances'])
    # the kept images keep every real mask they had
    before = {
        info['img_id']: [i['mask_valid'] for i in info['instances']]
        for info in _infos(full)
    }
    for info in _infos(ds):
        if info['img_id'] in _masked_images(ds):
            assert [i['mask_valid']
                    for i in info['instances']] == before[info['img_id']]


def test_subsets_are_nested_and_deterministic(tiny_root):
    picks = {(fraction, seed): _masked_images(
        _dataset(tiny_root, mask_subset=dict(fraction=fraction, seed=seed)))
             for fraction in (0.1, 0.25) for seed in (0, 1)}
    assert picks[(0.1, 0)] < picks[(0.25, 0)]
    assert picks[(0.1, 1)] < picks[(0.25, 1)]
    assert picks[(0.25, 0)] != picks[(0.25, 1)]
    again = _dataset(tiny_root, mask_subset=dict(fraction=0.25, seed=0))
    assert _masked_images(again) == picks[(0.25, 0)]


def test_both_flip_copies_of_an_alpha_config_pick_the_same_images(tiny_root):
    cfg = Config.fromfile(get_config_file('smg/smg_r50_c4_alpha03_cuhk_sysu.py'))
    copies = cfg.train_dataloader.dataset
    for flip_copy in copies.datasets:
        flip_copy.update(
            data_root=tiny_root,
            ann_file='annotations/train.json',
            data_prefix=dict(img='images/'),
            mask_subset=dict(flip_copy.mask_subset, fraction=0.25),
            filter_cfg=None)
    concat = DATASETS.build(copies)
    first, second = concat.datasets
    flips = [[
        t.prob for t in ds.pipeline.transforms if type(t).__name__ == 'RandomFlip'
    ] for ds in (first, second)]
    assert flips == [[0.0], [1.0]]
    assert _masked_images(first) == _masked_images(second)
    assert len(_masked_images(first)) == round(0.25 * _num_images(tiny_root))


@pytest.mark.parametrize('subset, kwargs, message', [
    (dict(fraction=0.0), {}, r'mask_subset.fraction must be in \(0, 1\], got 0.0'),
    (dict(fraction=1.5), {}, r'mask_subset.fraction must be in \(0, 1\], got 1.5'),
    (dict(), {}, r'mask_subset.fraction must be in \(0, 1\], got None'),
    (dict(fraction=0.1), dict(test_mode=True), 'remove it from the test_mode=True'),
])
def test_bad_requests_are_refused(tiny_root, subset, kwargs, message):
    with pytest.raises(ValueError, match=message):
        _dataset(tiny_root, mask_subset=subset, **kwargs)


def _without_masks(root, tmp_path, keep_images):
    """A copy of the training file whose masks remain on the first
    ``keep_images`` images only."""
    with open(osp.join(root, 'annotations', 'train.json')) as f:
        data = json.load(f)
    keep = {img['id'] for img in data['images'][:keep_images]}
    for ann in data['annotations']:
        if ann['image_id'] not in keep:
            ann.pop('segmentation', None)
            ann['mask_source'] = 'box'
    path = tmp_path / 'train_few_masks.json'
    path.write_text(json.dumps(data))
    return str(path), len(data['images'])


def test_asking_for_more_images_than_have_masks_names_both_counts(tiny_root, tmp_path):
    ann_file, num_images = _without_masks(tiny_root, tmp_path, 3)
    wanted = round(0.5 * num_images)
    with pytest.raises(
            ValueError,
            match=f'fraction=0.5 needs {wanted} images with masks, '
            f'.*train_few_masks.json has 3: lower the fraction'):
        _dataset(tiny_root, ann_file=ann_file, mask_subset=dict(fraction=0.5))


def test_loading_masks_from_a_file_without_any_warns_once(tiny_root, tmp_path):
    ann_file, _ = _without_masks(tiny_root, tmp_path, 0)
    pipeline = [dict(type='LoadPersonSearchAnnotations', with_mask=True)]
    with pytest.warns(UserWarning, match='has no real mask.*a mask loss stays 0'):
        ds = _dataset(tiny_root, ann_file=ann_file, pipeline=pipeline)
    assert ds.metainfo['num_mask_images'] == ds.metainfo['num_mask_instances'] == 0
    # a pipeline without masks (OIM) is not warned about
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        _dataset(tiny_root, ann_file=ann_file)
