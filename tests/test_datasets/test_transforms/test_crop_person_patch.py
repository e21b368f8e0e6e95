import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmdet.registry import MODELS

from mmps.datasets.transforms import CropPersonPatch, PackCropReIDInputs
from mmps.models.layers import RoIAlignCropper
from mmps.models.utils.foreground_separation import box_masks, instance_masks
from mmps.testing import make_det_sample
from mmps.testing.two_step_cases import tiny_two_step_cfg

ORIGINAL = [[10., 5., 30., 35.], [60., 0., 90., 40.]]


def _results(flip=False):
    """A 40x100 image resized by 0.5 (as the detector's Resize would)."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (20, 50, 3), dtype=np.uint8)
    instance_map = np.zeros((40, 100), np.int32)
    instance_map[8:35, 12:28] = 1
    instance_map[0:40, 65:85] = 2
    return dict(
        img=image,
        img_id=3,
        img_path='x.jpg',
        img_shape=(20, 50),
        ori_shape=(40, 100),
        scale_factor=(0.5, 0.5),
        flip=flip,
        flip_direction='horizontal' if flip else None,
        instances=[
            dict(bbox=box, person_id=pid) for box, pid in zip(ORIGINAL, (7, -1))
        ],
        crop_index=1,
        person_id=-1,
        instance_map=instance_map)


def test_crop_in_the_input_frame():
    out = CropPersonPatch(size=(8, 4), expand_ratio=1.2)(_results())
    box = torch.tensor([[30., 0., 45., 20.]])  # the original box x 0.5
    expected = RoIAlignCropper(
        (8, 4), 1.2)([torch.from_numpy(_results()['img']).permute(2, 0, 1)], [box])[0]
    assert out['img'].shape == (8, 4, 3) and out['img'].dtype == np.float32
    np.testing.assert_array_equal(out['img'], expected.permute(1, 2, 0).numpy())
    np.testing.assert_array_equal(out['crop_box'], box[0].numpy())
    assert out['img_shape'] == (8, 4) and 'fg_mask' not in out
    assert out['crop_cfg'] == dict(expand_ratio=1.2, size=(8, 4), mask=None)


@pytest.mark.parametrize('flip', [False, True])
def test_masks(flip):
    box_out = CropPersonPatch(size=(8, 4), mask='box')(_results(flip))
    box = torch.tensor([[5., 0., 20., 20.]]) if flip else torch.tensor(
        [[30., 0., 45., 20.]])
    np.testing.assert_array_equal(box_out['fg_mask'],
                                  box_masks((20, 50), box, (8, 4))[0, 0].numpy())
    out = CropPersonPatch(
        size=(8, 4), expand_ratio=1.3, mask='instance')(
            _results(flip))
    expected = instance_masks(
        torch.from_numpy(_results()['instance_map']), torch.tensor([ORIGINAL[1]]),
        (8, 4), 1.3)[0, 0]
    np.testing.assert_array_equal(out['fg_mask'],
                                  (expected.flip(-1) if flip else expected).numpy())
    assert out['mask_fallback'] is False
    empty = _results(flip)
    empty['instance_map'][:] = 0  # the segmentor missed everybody
    out = CropPersonPatch(size=(8, 4), expand_ratio=1.3, mask='instance')(empty)
    assert out['mask_fallback'] is True


def test_errors():
    results = _results()
    del results['instance_map']
    with pytest.raises(
            ValueError,
            match=r"CropPersonPatch\(mask='instance'\) needs "
            'instance_map: put LoadInstanceMap before it'):
        CropPersonPatch(mask='instance')(results)
    with pytest.raises(ValueError, match=r'expand_ratio \(gamma\) must be >= 1'):
        CropPersonPatch(expand_ratio=0.5)


@pytest.mark.parametrize('flip', [False, True])
def test_pipeline_patch_equals_searcher_patch(flip):
    """The crop pipeline and TwoStepSearcher (query mode) cut the same
    numbers for the same box: same scale, same cropper, same mask."""
    crop_cfg = dict(expand_ratio=1.3, size=(16, 8), mask='instance')
    pipeline = Compose([CropPersonPatch(**crop_cfg), PackCropReIDInputs()])
    packed = pipeline(_results(flip))
    model = MODELS.build(tiny_two_step_cfg(crop_cfg=crop_cfg))
    results = _results(flip)
    image = torch.from_numpy(results['img']).permute(2, 0, 1)
    sample = make_det_sample((20, 50), 0.5, query_bboxes=[ORIGINAL[1]], flip=flip)
    sample.instance_map = torch.from_numpy(results['instance_map'])
    images = model.extract_feat([image])
    boxes = model.checked_query_boxes([sample], torch.device('cpu'))
    assert torch.equal(model.crop_patches(images, boxes, [sample])[0], packed['inputs'])
    assert torch.equal(
        model.crop_masks(images, boxes, [sample])[0], packed['data_samples'].fg_mask)
