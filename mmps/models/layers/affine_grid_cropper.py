"""Patch cropper differentiable w.r.t. the boxes (RDLR's RoI transform)."""
from typing import Sequence, Tuple

import torch
from torch import Tensor

from .roi_align_cropper import check_expand_ratio, expand_boxes
from .roi_transform import RoITransform


class AffineGridCropper:
    """Cut fixed-size patches out of images at given boxes with
    :class:`RoITransform`, so that the patches carry gradients to the box
    coordinates.

    Same constructor, call and numbers as
    :class:`~mmps.models.layers.roi_align_cropper.RoIAlignCropper` (the
    two-step family's cropper, mmcv ``roi_align`` on a zero-framed image):
    one bilinear sample at every cell centre of the widened box, zeros
    outside the image. Use it where the boxes must learn (RDLR's
    refinement): mmcv's ``roi_align`` gives the boxes no gradient.

    Args:
        size (tuple[int, int]): Patch height h and width w.
            Defaults to (256, 128).
        expand_ratio (float): gamma >= 1: each box's width and height are
            multiplied by it about the box centre before cropping.
            Defaults to 1.0.

    Examples:
        >>> import torch
        >>> from mmps.models.layers import AffineGridCropper
        >>> image = torch.arange(16.).view(1, 4, 4)
        >>> AffineGridCropper(size=(2, 2))([image], [torch.tensor([[1., 1., 3., 3.]])])
        tensor([[[[ 5.,  6.],
                  [ 9., 10.]]]])
    """

    def __init__(self,
                 size: Tuple[int, int] = (256, 128),
                 expand_ratio: float = 1.0) -> None:
        if len(size) != 2 or min(size) < 1:
            raise ValueError(f'crop size must be (h, w) with h, w >= 1, got {size}')
        self.size = (int(size[0]), int(size[1]))
        self.expand_ratio = check_expand_ratio(expand_ratio)
        # detections clipped to the image border may have no area: cut them
        # as roi_align does rather than fail at search time
        self.transform = RoITransform(self.size, allow_empty=True)

    def __call__(self, images: Sequence[Tensor],
                 boxes_list: Sequence[Tensor]) -> Tensor:
        """Crop the boxes of every image.

        Args:
            images (Sequence[Tensor]): One (C, H_i, W_i) tensor per image
                (raw pixels, normalised images or masks; integer images are
                cropped as float32).
            boxes_list (Sequence[Tensor]): Boxes x1y1x2y2 in each image's
                frame, one (M_i, 4) tensor per image.

        Returns:
            Tensor: Patches, shape (sum M_i, C, h, w), image by image in box
            order; samples outside the image are 0.
        """
        if len(images) != len(boxes_list):
            raise ValueError(f'{len(images)} images but {len(boxes_list)} box lists: '
                             'give one (M_i, 4) tensor per image')
        patches = []
        for image, boxes in zip(images, boxes_list):
            if not image.is_floating_point():
                image = image.float()
            boxes = expand_boxes(boxes.to(image.dtype), self.expand_ratio)
            img_inds = boxes.new_zeros(boxes.shape[0], dtype=torch.long)
            patches.append(self.transform(image[None], boxes, img_inds))
        if not patches:
            return torch.zeros((0, 0) + self.size)
        return torch.cat(patches)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(size={self.size}, '
                f'expand_ratio={self.expand_ratio})')
