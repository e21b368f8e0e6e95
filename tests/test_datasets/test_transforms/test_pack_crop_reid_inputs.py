import numpy as np
import pytest
import torch

from mmps.datasets.transforms import PackCropReIDInputs


def test_pack():
    patch = np.random.default_rng(0).uniform(0, 255, (8, 4, 3)).astype(np.float32)
    results = dict(
        img=patch,
        fg_mask=np.ones((8, 4), np.float32),
        person_id=-1,
        img_id=2,
        img_path='a.jpg',
        crop_index=1,
        mask_fallback=True,
        crop_cfg=dict(expand_ratio=1.0, size=(8, 4), mask='box'))
    packed = PackCropReIDInputs()(results)
    assert torch.equal(packed['inputs'], torch.from_numpy(patch).permute(2, 0, 1))
    sample = packed['data_samples']
    assert sample.gt_label.label.tolist() == [-1]
    assert sample.fg_mask.shape == (1, 8, 4)
    assert sample.metainfo['crop_cfg'] == results['crop_cfg']
    assert sample.metainfo['img_id'] == 2 and sample.metainfo['crop_index'] == 1
    assert sample.metainfo['mask_fallback'] is True
    del results['fg_mask']
    assert 'fg_mask' not in PackCropReIDInputs()(results)['data_samples']


def test_needs_a_crop():
    with pytest.raises(
            KeyError,
            match='PackCropReIDInputs packs patches: put '
            'CropPersonPatch before it'):
        PackCropReIDInputs()(dict(img=np.zeros((8, 4, 3)), person_id=0))
