import numpy as np
import pytest
import torch

from mmps.models.layers import RoIAlignCropper
from mmps.models.layers.roi_align_cropper import expand_boxes


def test_expand_boxes_widens_width_and_height_about_the_centre():
    boxes = torch.tensor([[10., 20., 30., 60.]])
    expected = torch.tensor([[7., 14., 33., 66.]])
    assert torch.allclose(expand_boxes(boxes, 1.3), expected)


def bilinear_reference(image: np.ndarray, box, size, gamma: float) -> np.ndarray:
    """Cut ``box`` widened by ``gamma`` on a ``size`` grid: one bilinear
    sample at each cell centre of the image extended by zeros (pixel i
    centred at i + 0.5)."""
    channels, height, width = image.shape
    x1, y1, x2, y2 = box
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    bw, bh = (x2 - x1) * gamma, (y2 - y1) * gamma
    x1, y1 = cx - bw / 2, cy - bh / 2

    def pixel(row, col):
        if 0 <= row < height and 0 <= col < width:
            return image[:, row, col]
        return np.zeros(channels)

    out = np.zeros((channels, ) + tuple(size))
    for r in range(size[0]):
        for c in range(size[1]):
            y = y1 + (r + 0.5) * bh / size[0] - 0.5
            x = x1 + (c + 0.5) * bw / size[1] - 0.5
            r0, c0 = int(np.floor(y)), int(np.floor(x))
            ly, lx = y - r0, x - c0
            out[:, r, c] = (
                pixel(r0, c0) * (1 - ly) * (1 - lx) + pixel(r0, c0 + 1) *
                (1 - ly) * lx + pixel(r0 + 1, c0) * ly * (1 - lx) +
                pixel(r0 + 1, c0 + 1) * ly * lx)
    return out


@pytest.mark.parametrize(
    'box, gamma',
    [
        ((1.0, 2.0, 5.0, 9.0), 1.0),
        ((0.3, 0.7, 6.2, 9.9), 1.0),
        ((-3.0, -2.5, 4.0, 12.0), 1.0),  # past every border: zeros there
        ((2.0, 3.0, 6.0, 8.0), 1.5),  # widened about the centre
        ((4.5, 6.0, 7.0, 11.0), 1.3),  # widened past the border
    ])
def test_matches_bilinear_reference(box, gamma):
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 255, (3, 12, 8))
    cropper = RoIAlignCropper(size=(10, 6), expand_ratio=gamma)
    patch = cropper([torch.from_numpy(image)],
                    [torch.tensor([box], dtype=torch.float64)])
    assert patch.shape == (1, 3, 10, 6)
    np.testing.assert_allclose(
        patch[0].numpy(), bilinear_reference(image, box, (10, 6), gamma), atol=1e-9)


def test_outside_the_image_is_zero():
    image = torch.full((1, 8, 8), 5.0)
    patch = RoIAlignCropper(size=(4, 4))([image],
                                         [torch.tensor([[20., 20., 30., 30.]])])
    assert torch.equal(patch, torch.zeros(1, 1, 4, 4))
    # the bottom-right quarter widened x2 reaches one cell past the border
    patch = RoIAlignCropper(
        size=(4, 4), expand_ratio=2.0)([image], [torch.tensor([[4., 4., 8., 8.]])])
    assert patch[0, 0, :3, :3].eq(5).all()
    assert patch[0, 0, 3].eq(0).all() and patch[0, 0, :, 3].eq(0).all()


def test_integer_box_of_output_size_returns_pixels():
    image = torch.arange(3 * 10 * 9, dtype=torch.uint8).reshape(3, 10, 9)
    patch = RoIAlignCropper(size=(4, 3))([image], [torch.tensor([[2., 5., 5., 9.]])])
    assert patch.dtype == torch.float32
    assert torch.equal(patch[0], image[:, 5:9, 2:5].float())


def test_batched_per_image_in_order():
    images = [torch.rand(3, 20, 12), torch.rand(1, 9, 15).expand(3, 9, 15)]
    boxes = [
        torch.tensor([[0., 0., 6., 10.], [3., 4., 9., 16.]]),
        torch.zeros(0, 4),
    ]
    cropper = RoIAlignCropper(size=(5, 3))
    patches = cropper(images, boxes)
    assert patches.shape == (2, 3, 5, 3)
    assert torch.equal(patches[1:], cropper(images[:1], [boxes[0][1:]]))
    three = cropper(images + images[:1], boxes + [boxes[0][:1]])
    assert torch.equal(three[2], patches[0])
    masks = cropper([torch.ones(1, 20, 12)], boxes[:1])
    assert masks.shape == (2, 1, 5, 3)
    assert cropper(images[1:], boxes[1:]).shape == (0, 3, 5, 3)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r'expand_ratio \(gamma\) must be >= 1'):
        RoIAlignCropper(expand_ratio=0.9)
    with pytest.raises(ValueError, match=r'crop size must be \(h, w\)'):
        RoIAlignCropper(size=(0, 4))
    with pytest.raises(ValueError, match='2 images but 1 box lists'):
        RoIAlignCropper()([torch.rand(3, 4, 4)] * 2, [torch.zeros(0, 4)])
