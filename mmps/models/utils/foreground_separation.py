"""Foreground separation of MGTS (Algorithm 1 of Chen et al., ECCV 2018).

Every box is widened by gamma about its centre (b_gamma); the dominant
instance k of an instance map inside b_gamma is found by majority vote and
``map == k`` is sampled on the patch grid of the crop, giving a binary
foreground mask m aligned with the patch that
:class:`~mmps.models.layers.RoIAlignCropper` cuts from the same box. The
re-ID network then forms F = O * m and B = O * (1 - m) in raw pixels.

Geometry shared with the cropper (``mmcv.ops.roi_align`` with
``aligned=True`` and ``sampling_ratio=1``): pixel ``(i, j)`` covers
``[j, j + 1) x [i, i + 1)`` and patch cell ``(r, c)`` of an ``h x w`` patch
reads the point ``(x1 + (c + 0.5) * W / w, y1 + (r + 0.5) * H / h)`` of the
widened box ``(x1, y1, x1 + W, y1 + H)``. The mask takes the pixel that
contains that point (nearest sampling keeps it binary); points outside the
image are background, like the zero pixels the cropper puts there.
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor

from ..layers.roi_align_cropper import expand_boxes


def _grid_pixels(boxes: Tensor, size: Tuple[int, int],
                 image_hw: Tuple[int, int]) -> Tuple[Tensor, Tensor, Tensor]:
    """Pixel indices read by every cell of the patch grid of each box.

    Returns:
        tuple[Tensor]: Row indices (M, h), column indices (M, w) (clamped
        into the image) and a bool (M, h, w) that is False where the point
        lies outside the image.
    """
    h, w = size
    height, width = image_hw
    cells_y = (torch.arange(h, device=boxes.device, dtype=boxes.dtype) + 0.5) / h
    cells_x = (torch.arange(w, device=boxes.device, dtype=boxes.dtype) + 0.5) / w
    ys = boxes[:, 1:2] + cells_y[None] * (boxes[:, 3:4] - boxes[:, 1:2])
    xs = boxes[:, 0:1] + cells_x[None] * (boxes[:, 2:3] - boxes[:, 0:1])
    rows = torch.floor(ys).long()
    cols = torch.floor(xs).long()
    inside = (((rows >= 0) & (rows < height))[:, :, None]
              & ((cols >= 0) & (cols < width))[:, None, :])
    return rows.clamp(0, height - 1), cols.clamp(0, width - 1), inside


def _pixel_span(low: Tensor, high: Tensor, length: int) -> Tuple[int, int]:
    """Pixels whose centres lie in ``[low, high)``, clipped to the image."""
    start = max(int(torch.ceil(low - 0.5)), 0)
    stop = min(int(torch.ceil(high - 0.5)), length)
    return start, max(stop, start)


def dominant_instances(instance_map: Tensor,
                       boxes: Tensor,
                       expand_ratio: float = 1.0) -> Tensor:
    """Majority vote of Algorithm 1 (steps 1, 3 and 4).

    The vote counts the pixels whose centres lie inside b_gamma (clipped to
    the image), background (0) excluded; a tie goes to the smaller label.

    Args:
        instance_map (Tensor): Instance labels, shape (H, W) int, 0 for
            background.
        boxes (Tensor): Boxes x1y1x2y2 in the frame of ``instance_map``,
            shape (M, 4).
        expand_ratio (float): gamma. Defaults to 1.0.

    Returns:
        Tensor: k per box, shape (M,) int64; 0 where b_gamma holds no
        instance pixel.
    """
    height, width = instance_map.shape
    widened = expand_boxes(boxes.float(), expand_ratio).cpu()
    labels = torch.zeros(len(boxes), dtype=torch.long)
    for i, (x1, y1, x2, y2) in enumerate(widened):
        r0, r1 = _pixel_span(y1, y2, height)
        c0, c1 = _pixel_span(x1, x2, width)
        crop = instance_map[r0:r1, c0:c1]
        votes = crop[crop > 0]
        if votes.numel():
            values, counts = torch.unique(votes, return_counts=True)
            labels[i] = values[torch.argmax(counts)]  # first max: smaller
    return labels.to(boxes.device)


def box_masks(image_hw: Tuple[int, int],
              boxes: Tensor,
              size: Tuple[int, int] = (256, 128),
              expand_ratio: float = 1.0) -> Tensor:
    """Tight-box masks (Table 6 'box'): m is 1 on the patch cells whose
    pixel lies in the image and has its centre inside the box b itself.

    Args:
        image_hw (tuple[int, int]): (H, W) of the frame of ``boxes``.
        boxes (Tensor): Boxes x1y1x2y2, shape (M, 4).
        size (tuple[int, int]): Patch size (h, w). Defaults to (256, 128).
        expand_ratio (float): gamma of the patch. Defaults to 1.0.

    Returns:
        Tensor: Masks in {0, 1}, shape (M, 1, h, w) float.
    """
    boxes = boxes.float()
    rows, cols, inside = _grid_pixels(expand_boxes(boxes, expand_ratio), size, image_hw)
    in_y = ((rows + 0.5 >= boxes[:, 1:2]) & (rows + 0.5 < boxes[:, 3:4]))
    in_x = ((cols + 0.5 >= boxes[:, 0:1]) & (cols + 0.5 < boxes[:, 2:3]))
    masks = inside & in_y[:, :, None] & in_x[:, None, :]
    return masks[:, None].float()


def instance_masks(
        instance_map: Tensor,
        boxes: Tensor,
        size: Tuple[int, int] = (256, 128),
        expand_ratio: float = 1.0,
        return_fallbacks: bool = False) -> Union[Tensor, Tuple[Tensor, Tensor]]:
    """Instance masks of Algorithm 1: ``map == k`` on the patch grid, k the
    dominant instance inside b_gamma.

    A box whose b_gamma holds no instance pixel (the segmentor missed the
    person) falls back to its tight box (:func:`box_masks`); with
    ``return_fallbacks=True`` the caller gets which boxes fell back, to
    count them.

    Args:
        instance_map (Tensor): Instance labels, shape (H, W) int, 0 for
            background.
        boxes (Tensor): Boxes x1y1x2y2 in the frame of ``instance_map``,
            shape (M, 4).
        size (tuple[int, int]): Patch size (h, w). Defaults to (256, 128).
        expand_ratio (float): gamma. Defaults to 1.0.
        return_fallbacks (bool): Also return the fallback flags. Defaults
            to False.

    Returns:
        Tensor | tuple[Tensor, Tensor]: Masks in {0, 1}, shape
        (M, 1, h, w) float, and, when asked, a bool (M,) that is True for
        the boxes that fell back to their tight box.
    """
    if instance_map.dim() != 2:
        raise ValueError('instance_map must be one (H, W) label map, got '
                         f'shape {tuple(instance_map.shape)}')
    instance_map = instance_map.to(boxes.device)
    image_hw = tuple(instance_map.shape)
    labels = dominant_instances(instance_map, boxes, expand_ratio)
    rows, cols, inside = _grid_pixels(
        expand_boxes(boxes.float(), expand_ratio), size, image_hw)
    sampled = instance_map[rows[:, :, None], cols[:, None, :]]
    masks = ((sampled == labels[:, None, None]) & inside)[:, None].float()
    fallbacks = labels == 0
    if fallbacks.any():
        masks[fallbacks] = box_masks(image_hw, boxes[fallbacks], size, expand_ratio)
    return (masks, fallbacks) if return_fallbacks else masks


def separate_foreground(patches: Tensor, masks: Optional[Tensor],
                        streams: Sequence[str]) -> List[Tensor]:
    """Step 6 of Algorithm 1: the inputs of the requested streams.

    Args:
        patches (Tensor): Raw patches O, shape (N, C, h, w).
        masks (Tensor, optional): Foreground masks m, shape (N, 1, h, w)
            in {0, 1}; None when only 'O' is asked for.
        streams (Sequence[str]): Any of 'F' (O * m), 'O' (O) and 'B'
            (O * (1 - m)).

    Returns:
        list[Tensor]: One (N, C, h, w) tensor per stream, in order.
    """
    inputs = dict(O=patches)
    if masks is not None:
        inputs.update(F=patches * masks, B=patches * (1 - masks))
    return [inputs[stream] for stream in streams]


def paint_instance_map(masks: Tensor, scores: Tensor, score_thr: float = 0.5) -> Tensor:
    """Paint instance masks into one label map, the input of Algorithm 1.

    Instances scoring at least ``score_thr`` are painted in ascending score
    order, so the highest score wins where masks overlap; the instance of
    score rank r (1 = lowest kept score) gets label r, 0 is background.
    Offline mask files (``LoadInstanceMap``) and the online segmentor of
    ``TwoStepSearcher`` both paint through this function.

    Args:
        masks (Tensor): Instance masks, shape (N, H, W) bool.
        scores (Tensor): Instance scores, shape (N,).
        score_thr (float): Lowest score kept. Defaults to 0.5.

    Returns:
        Tensor: Label map, shape (H, W) int32.
    """
    label_map = torch.zeros(masks.shape[-2:], dtype=torch.int32, device=masks.device)
    keep = torch.nonzero(scores >= score_thr).flatten()
    order = keep[torch.argsort(scores[keep], stable=True)]
    for rank, index in enumerate(order.tolist(), start=1):
        label_map[masks[index].bool()] = rank
    return label_map
