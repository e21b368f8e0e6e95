"""Differentiable RoI transform of RDLR (Han et al., ICCV 2019, Sec. 3.1)."""
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor


def box_affine_theta(boxes: Tensor, image_hw: Tuple[int, int]) -> Tensor:
    """Affine matrices that send the output grid's corners (+-1) to the box
    corners (Eq. 2 of RDLR), in ``F.affine_grid``'s normalised frame.

    With ``align_corners=False`` the normalised coordinate -1 is the left edge
    of pixel 0 and +1 the right edge of pixel W - 1, so a box x1y1x2y2 in
    pixel-edge coordinates maps to ``x_s = (x2 - x1) / W * x_t +
    (x1 + x2) / W - 1`` (and likewise for y).

    Args:
        boxes (Tensor): Boxes x1y1x2y2 in pixels, shape (N, 4).
        image_hw (tuple[int, int]): Height H and width W of the image.

    Returns:
        Tensor: theta, shape (N, 2, 3), differentiable w.r.t. ``boxes``.
    """
    height, width = image_hw
    x1, y1, x2, y2 = boxes.unbind(dim=1)
    zeros = torch.zeros_like(x1)
    row_x = torch.stack([(x2 - x1) / width, zeros, (x1 + x2) / width - 1], dim=1)
    row_y = torch.stack([zeros, (y2 - y1) / height, (y1 + y2) / height - 1], dim=1)
    return torch.stack([row_x, row_y], dim=1)


class RoITransform(nn.Module):
    """Crop boxes out of a batch of images with a bilinear sampler whose
    output is differentiable w.r.t. the box coordinates (Eq. 1-3 of RDLR).

    Each box gets the affine matrix of :func:`box_affine_theta`;
    ``F.affine_grid`` turns it into the sampling grid of an output of
    ``output_size`` and ``F.grid_sample`` (bilinear, zero padding,
    ``align_corners=False``) reads the image there. Output pixel (i, j) of a
    box x1y1x2y2 reads the image at ``(x1 + (j + 0.5) * (x2 - x1) / w - 0.5,
    y1 + (i + 0.5) * (y2 - y1) / h - 0.5)`` in pixel-index coordinates, the
    sampling points of mmcv's ``roi_align(aligned=True, sampling_ratio=1)``;
    samples outside the image read 0 (for normalised inputs: the mean colour,
    as the padding). mmcv's ``RoIAlign`` cannot do this job: its backward
    gives the rois no gradient.

    The crops of one image are sampled in one ``grid_sample`` call whose grid
    stacks them vertically, so the image is never copied per box.

    Args:
        output_size (tuple[int, int]): Output height h and width w.
            Defaults to (256, 128).
        allow_empty (bool): Accept boxes without area (x2 <= x1 or
            y2 <= y1), sampled by the same formula (a line or a point of the
            image, mirrored when inverted), as ``roi_align(aligned=True)``
            does. Defaults to False: such a box is an error.

    Examples:
        >>> import torch
        >>> from mmps.models.layers import RoITransform
        >>> image = torch.arange(16.).view(1, 1, 4, 4)
        >>> crop = RoITransform((2, 2))(image, torch.tensor([[1., 1., 3., 3.]]),
        ...                             torch.tensor([0]))
        >>> crop
        tensor([[[[ 5.,  6.],
                  [ 9., 10.]]]])
    """

    def __init__(self,
                 output_size: Tuple[int, int] = (256, 128),
                 allow_empty: bool = False) -> None:
        super().__init__()
        self.output_size = tuple(output_size)
        self.allow_empty = allow_empty

    def forward(self, inputs: Tensor, boxes: Tensor, img_inds: Tensor) -> Tensor:
        """Crop every box from its image.

        Args:
            inputs (Tensor): Images as the detector sees them, shape
                (B, C, H, W) (any float dtype).
            boxes (Tensor): Boxes x1y1x2y2 in the frame of ``inputs``,
                shape (N, 4).
            img_inds (Tensor): Index of each box's image in ``inputs``,
                shape (N,), integer.

        Returns:
            Tensor: Crops, shape (N, C, h, w), in box order.

        Raises:
            ValueError: A box is not finite or (unless ``allow_empty``)
                has no area, ``img_inds`` does not match ``boxes`` or points
                outside the batch.
        """
        num_images, channels, height, width = inputs.shape
        out_h, out_w = self.output_size
        if boxes.dim() != 2 or boxes.shape[1] != 4:
            raise ValueError(f'boxes must have shape (N, 4), got {tuple(boxes.shape)}')
        if img_inds.shape != boxes.shape[:1]:
            raise ValueError(
                f'img_inds has shape {tuple(img_inds.shape)}, but there '
                f'are {boxes.shape[0]} boxes: give one image index per box')
        if not torch.isfinite(boxes).all():
            raise ValueError('RoITransform got a non-finite box: check the '
                             'detector outputs for NaN/Inf before cropping')
        if not self.allow_empty and ((boxes[:, 2] <= boxes[:, 0]) |
                                     (boxes[:, 3] <= boxes[:, 1])).any():
            raise ValueError('RoITransform got an empty box (x2 <= x1 or y2 <= y1): '
                             'drop boxes without area before cropping')
        if img_inds.numel() and (int(img_inds.min()) < 0
                                 or int(img_inds.max()) >= num_images):
            raise ValueError(f'image index out of range: img_inds must lie in '
                             f'[0, {num_images - 1}] for a batch of {num_images}')
        crops = inputs.new_zeros((boxes.shape[0], channels, out_h, out_w))
        theta = box_affine_theta(boxes.to(inputs.dtype), (height, width))
        for b in range(num_images):
            keep = (img_inds == b).nonzero(as_tuple=True)[0]
            if keep.numel() == 0:
                continue
            num = keep.numel()
            grid = F.affine_grid(
                theta[keep], [num, channels, out_h, out_w], align_corners=False)
            # (n, h, w, 2) -> (1, n * h, w, 2): one sampling pass per image
            sampled = F.grid_sample(
                inputs[b:b + 1],
                grid.reshape(1, num * out_h, out_w, 2),
                mode='bilinear',
                padding_mode='zeros',
                align_corners=False)
            sampled = sampled.reshape(channels, num, out_h, out_w).transpose(0, 1)
            crops = crops.index_put((keep, ), sampled)
        return crops

    def extra_repr(self) -> str:
        """The settings, for ``repr``."""
        return f'output_size={self.output_size}, allow_empty={self.allow_empty}'
