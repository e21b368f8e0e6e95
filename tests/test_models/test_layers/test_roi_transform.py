"""RoITransform (RDLR Eq. 1-3): exact crops, gradients w.r.t. boxes and
image, box refinement by gradient descent, bad input."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.structures.bbox import bbox_overlaps

from mmps.models.layers import RoITransform

pytestmark = pytest.mark.usefixtures('one_torch_thread')


def test_integer_box_of_output_size_returns_its_pixels():
    # float64: float32 rounds the grid coordinates by about 1e-6 of a pixel
    image = torch.rand(2, 3, 20, 30, dtype=torch.float64)
    boxes = torch.tensor([[4., 3., 12., 19.], [0., 0., 8., 16.], [22., 4., 30., 20.]],
                         dtype=torch.float64)
    crops = RoITransform((16, 8))(image, boxes, torch.tensor([1, 0, 1]))
    assert crops.shape == (3, 3, 16, 8)
    torch.testing.assert_close(crops[0], image[1, :, 3:19, 4:12], rtol=0, atol=1e-12)
    torch.testing.assert_close(crops[1], image[0, :, 0:16, 0:8], rtol=0, atol=1e-12)
    torch.testing.assert_close(crops[2], image[1, :, 4:20, 22:30], rtol=0, atol=1e-12)


def test_outside_samples_read_zero():
    image = torch.ones(1, 1, 4, 4)
    crop = RoITransform((4, 4))(image, torch.tensor([[-4., 0., 4., 4.]]),
                                torch.tensor([0]))
    assert torch.equal(crop[0, 0, :, :2], torch.zeros(4, 2))
    assert torch.equal(crop[0, 0, :, 2:], torch.ones(4, 2))


def test_gradcheck_wrt_boxes_and_image():
    generator = torch.Generator().manual_seed(0)
    image = torch.rand(2, 2, 7, 9, dtype=torch.float64, generator=generator)
    image.requires_grad_()
    # corners off the pixel grid: bilinear sampling is smooth there
    boxes = torch.tensor([[1.37, 0.73, 6.11, 5.29], [2.21, 1.43, 8.33, 6.59]],
                         dtype=torch.float64,
                         requires_grad=True)
    transform = RoITransform((3, 4))
    assert torch.autograd.gradcheck(
        lambda img, b: transform(img, b, torch.tensor([1, 0])), (image, boxes))


def test_descending_the_box_gradient_refines_the_box():
    """A box at IoU 0.6 with the true box moves onto it when the distance of
    its crop's features (a fixed conv) to the true crop's is minimised."""
    torch.manual_seed(0)
    image = F.avg_pool2d(torch.randn(1, 3, 64, 64), 5, 1, 2)
    image = F.avg_pool2d(image, 5, 1, 2)
    image = image / image.std()
    conv = torch.nn.Conv2d(3, 8, 3, padding=1).requires_grad_(False)
    transform = RoITransform((16, 8))
    inds = torch.tensor([0])
    true_box = torch.tensor([[20., 12., 36., 44.]])
    target = conv(transform(image, true_box, inds))
    box = torch.tensor([[22., 16.5, 38., 48.5]], requires_grad=True)
    assert bbox_overlaps(box.detach(), true_box).item() == pytest.approx(0.6, abs=0.01)
    optimizer = torch.optim.Adam([box], lr=0.3)
    for _ in range(100):
        loss = (conv(transform(image, box, inds)) - target).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert bbox_overlaps(box.detach(), true_box).item() > 0.85


def test_allow_empty_samples_boxes_without_area():
    image = torch.arange(16.).view(1, 1, 4, 4)
    box = torch.tensor([[1.5, 1., 1.5, 3.]])  # the line x = 1.5 - 0.5 = 1
    with pytest.raises(ValueError, match='empty box'):
        RoITransform((2, 2))(image, box, torch.tensor([0]))
    crop = RoITransform((2, 2), allow_empty=True)(image, box, torch.tensor([0]))
    assert torch.equal(crop[0, 0], torch.tensor([[5., 5.], [9., 9.]]))


def test_no_boxes_give_an_empty_batch():
    crops = RoITransform((4, 2))(torch.rand(1, 3, 8, 8), torch.zeros(0, 4),
                                 torch.zeros(0, dtype=torch.long))
    assert crops.shape == (0, 3, 4, 2)


@pytest.mark.parametrize('box, inds, message', [
    ([[0., 0., float('nan'), 4.]], [0], 'non-finite box'),
    ([[0., 0., float('inf'), 4.]], [0], 'non-finite box'),
    ([[2., 0., 2., 4.]], [0], 'empty box'),
    ([[0., 5., 4., 4.]], [0], 'empty box'),
    ([[0., 0., 4., 4.]
      ], [2], r'image index out of range: img_inds must lie in \[0, 1\]'),
    ([[0., 0., 4., 4.]], [-1], 'image index out of range'),
    ([[0., 0., 4., 4.]], [0, 1], 'give one image index per box'),
])
def test_bad_input_is_refused(box, inds, message):
    with pytest.raises(ValueError, match=message):
        RoITransform((4, 2))(torch.rand(2, 3, 8, 8), torch.tensor(box),
                             torch.tensor(inds))
