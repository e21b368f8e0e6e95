"""Patch cropper differentiable w.r.t. the boxes (RDLR's RoI transform)."""
from typing import Tuple

import torch
from torch import Tensor

from .roi_align_cropper import RoIAlignCropper
from .roi_transform import RoITransform


class AffineGridCropper(RoIAlignCropper):
    """Cut fixed-size patches out of images at given boxes with
    :class:`RoITransform`, so that the patches carry gradients to the box
    coordinates.

    A :class:`~mmps.models.layers.roi_align_cropper.RoIAlignCropper` (the
    two-step family's cropper, mmcv ``roi_align`` on a zero-framed image)
    whose per-image crop is replaced; same constructor, call and numbers:
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
        super().__init__(size, expand_ratio)
        # detections clipped to the image border may have no area: cut them
        # as roi_align does rather than fail at search time
        self.transform = RoITransform(self.size, allow_empty=True)

    def crop_image(self, image: Tensor, boxes: Tensor) -> Tensor:
        """Crop the (already widened) boxes of one image with
        :class:`RoITransform`, differentiably w.r.t. ``boxes``.

        Args:
            image (Tensor): One float image, shape (C, H, W).
            boxes (Tensor): Widened boxes x1y1x2y2, shape (M, 4).

        Returns:
            Tensor: Patches, shape (M, C, h, w); samples outside the image
            are 0.
        """
        img_inds = boxes.new_zeros(boxes.shape[0], dtype=torch.long)
        return self.transform(image[None], boxes, img_inds)
