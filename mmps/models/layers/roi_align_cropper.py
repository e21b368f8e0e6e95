"""Cut fixed-size person patches out of whole images (two-step family)."""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.ops import roi_align
from torch import Tensor


def expand_boxes(boxes: Tensor, expand_ratio: float) -> Tensor:
    """Widen boxes about their centres: width and height each times
    ``expand_ratio`` (gamma of MGTS, Sec. 3.3).

    Args:
        boxes (Tensor): Boxes x1y1x2y2, shape (M, 4).
        expand_ratio (float): gamma >= 1; 1 keeps the boxes.

    Returns:
        Tensor: The widened boxes, shape (M, 4); not clipped to any image.
    """
    if expand_ratio == 1.0:
        return boxes
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    half_sizes = (boxes[:, 2:] - boxes[:, :2]) * (expand_ratio / 2)
    return torch.cat([centres - half_sizes, centres + half_sizes], dim=1)


def check_expand_ratio(expand_ratio: float) -> float:
    """Refuse a widening factor below 1.

    Args:
        expand_ratio (float): gamma.

    Returns:
        float: ``expand_ratio`` as a float.

    Raises:
        ValueError: ``expand_ratio`` < 1 (it would shrink the box).
    """
    if not expand_ratio >= 1:
        raise ValueError(f'crop expand_ratio (gamma) must be >= 1 (1 keeps the box, '
                         f'MGTS uses 1.0-1.5), got {expand_ratio}')
    return float(expand_ratio)


class RoIAlignCropper:
    """Bilinear crops of boxes from raw, unpadded images: the patch cutter
    that the crop pipeline (:class:`mmps.datasets.transforms.CropPersonPatch`)
    and :class:`mmps.models.searchers.TwoStepSearcher` share, so training and
    test patches of a box are the same numbers.

    Each box is widened by ``expand_ratio`` about its centre, then sampled
    on a ``size`` grid with one bilinear sample at every cell centre
    (``mmcv.ops.roi_align``, ``aligned=True``, ``sampling_ratio=1``: a
    resize, no averaging). Pixels outside the image read 0 (black): MGTS
    widens boxes past the border rather than clipping them. mmcv's kernel
    replicates the border row for samples within one pixel outside, so
    every image gets a one-pixel zero frame first; the result is bilinear
    interpolation of the image extended by zeros.

    The crop has no learnable part and no registry role; mmdet's
    ``RoIAlign`` extractors pool feature maps with a spatial scale and
    multi-level assignment, which this cut of the image itself does not
    need.

    Subclasses change how one image is cut by overriding
    :meth:`crop_image` (RDLR's differentiable
    :class:`~mmps.models.layers.AffineGridCropper`).

    Args:
        size (tuple[int, int]): Patch size (h, w). Defaults to (256, 128).
        expand_ratio (float): gamma >= 1, applied to width and height.
            Defaults to 1.0.

    Examples:
        >>> import torch
        >>> cropper = RoIAlignCropper(size=(4, 2))
        >>> image = torch.arange(32.).reshape(1, 8, 4)
        >>> cropper([image], [torch.tensor([[0., 0., 2., 4.]])]).shape
        torch.Size([1, 1, 4, 2])
    """

    def __init__(self,
                 size: Tuple[int, int] = (256, 128),
                 expand_ratio: float = 1.0) -> None:
        if len(size) != 2 or min(size) < 1:
            raise ValueError(f'crop size must be (h, w) with h, w >= 1, got {size}')
        self.size = (int(size[0]), int(size[1]))
        self.expand_ratio = check_expand_ratio(expand_ratio)

    def __call__(self, images: Sequence[Tensor],
                 boxes_list: Sequence[Tensor]) -> Tensor:
        """Crop every box of every image.

        Args:
            images (Sequence[Tensor]): One raw image per entry, shape
                (C, H_i, W_i), any dtype (cropped as float32, or the image's
                own float dtype), e.g. (3, H, W) pixels or a (1, H, W) mask.
            boxes_list (Sequence[Tensor]): One (M_i, 4) x1y1x2y2 tensor per
                image, in that image's pixel frame (M_i may be 0).

        Returns:
            Tensor: Patches, shape (sum M_i, C, h, w), in image then box
            order.
        """
        if len(images) != len(boxes_list):
            raise ValueError(f'{len(images)} images but {len(boxes_list)} box lists: '
                             'give one (M_i, 4) tensor per image')
        patches = []
        for image, boxes in zip(images, boxes_list):
            if not image.is_floating_point():
                image = image.float()
            boxes = expand_boxes(boxes.to(image), self.expand_ratio)
            patches.append(self.crop_image(image, boxes))
        if not patches:
            return torch.zeros((0, 0) + self.size)
        return torch.cat(patches)

    def crop_image(self, image: Tensor, boxes: Tensor) -> Tensor:
        """Crop the (already widened) boxes of one image with mmcv
        ``roi_align`` on the zero-framed image.

        Args:
            image (Tensor): One float image, shape (C, H, W).
            boxes (Tensor): Widened boxes x1y1x2y2, shape (M, 4).

        Returns:
            Tensor: Patches, shape (M, C, h, w).
        """
        if boxes.numel() == 0:
            return image.new_zeros((0, image.shape[0]) + self.size)
        framed = F.pad(image, (1, 1, 1, 1))[None]
        rois = torch.cat([boxes.new_zeros(len(boxes), 1), boxes + 1], dim=1)
        return roi_align(
            framed,
            rois,
            self.size,
            spatial_scale=1.0,
            sampling_ratio=1,
            pool_mode='avg',
            aligned=True)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(size={self.size}, '
                f'expand_ratio={self.expand_ratio})')
