"""AffineGridCropper: RoIAlignCropper's call and numbers, differentiable
boxes."""
import pytest
import torch

from mmps.models.layers import AffineGridCropper, RoIAlignCropper


@pytest.mark.parametrize('expand_ratio', [1.0, 1.3])
def test_equals_roi_align_cropper(expand_ratio):
    """Same patches as RoIAlignCropper, also for boxes across the border
    and for a one-channel mask."""
    torch.manual_seed(0)
    images = [
        torch.rand(3, 40, 30) * 255,
        torch.rand(3, 25, 50) * 255,
        torch.rand(1, 30, 30)
    ]
    boxes_list = [
        torch.tensor([[3.2, 4.1, 20.7, 35.3], [-5., 6., 25., 44.]]),
        torch.tensor([[10.5, 2.5, 40.2, 22.9], [30., -3.7, 55.1, 20.]]),
        torch.tensor([[2.5, 3.5, 12.25, 27.]]),
    ]
    ours = AffineGridCropper(size=(16, 8), expand_ratio=expand_ratio)
    theirs = RoIAlignCropper(size=(16, 8), expand_ratio=expand_ratio)
    for image, boxes in zip(images, boxes_list):
        patches = ours([image], [boxes])
        assert patches.shape == (len(boxes), image.shape[0], 16, 8)
        torch.testing.assert_close(patches, theirs([image], [boxes]), rtol=0, atol=1e-3)
    # several images in one call: image then box order
    torch.testing.assert_close(
        ours(images[:2], boxes_list[:2]),
        theirs(images[:2], boxes_list[:2]),
        rtol=0,
        atol=1e-3)


def test_expand_ratio_widens_about_the_centre():
    image = torch.arange(64.).view(1, 8, 8)
    box = torch.tensor([[3., 3., 5., 5.]])
    widened = AffineGridCropper(size=(4, 4), expand_ratio=2.0)([image], [box])
    torch.testing.assert_close(widened[0, 0], image[0, 2:6, 2:6], rtol=0, atol=1e-5)


def test_boxes_receive_gradients():
    box = torch.tensor([[1.5, 1.2, 6.4, 7.1]], requires_grad=True)
    patches = AffineGridCropper(size=(4, 2))([torch.rand(3, 8, 8)], [box])
    patches.sum().backward()
    assert box.grad is not None and box.grad.abs().sum() > 0


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match=r'expand_ratio \(gamma\) must be >= 1'):
        AffineGridCropper(expand_ratio=0.5)
    with pytest.raises(ValueError, match=r'crop size must be \(h, w\)'):
        AffineGridCropper(size=(0, 4))
    with pytest.raises(ValueError, match=r'one \(M_i, 4\) tensor per image'):
        AffineGridCropper()([torch.rand(3, 8, 8)], [])


def test_boxes_without_area_are_cut_as_roi_align_does():
    """Detections clipped to the border can have no area: the cropper cuts
    them (a line of the image) as RoIAlignCropper does, instead of failing."""
    image = torch.rand(3, 20, 30) * 255
    boxes = torch.tensor([[5., 3., 5., 15.], [2., 8., 12., 8.], [7.5, 2., 7.5, 2.]])
    ours = AffineGridCropper(size=(8, 4))([image], [boxes])
    theirs = RoIAlignCropper(size=(8, 4))([image], [boxes])
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-3)
