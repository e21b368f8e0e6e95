"""Moving boxes between the original image frame and the network input."""
from mmdet.structures.bbox import bbox_flip, scale_boxes
from torch import Tensor


def boxes_to_input_frame(bboxes: Tensor, img_meta: dict) -> Tensor:
    """Map boxes from the original image into the network input frame:
    resize by ``scale_factor``, then flip when the sample was flipped.

    Args:
        bboxes (Tensor): Boxes x1y1x2y2 in the original image, shape (N, 4).
        img_meta (dict): Sample metainfo with ``scale_factor`` (w, h),
            ``img_shape`` (h, w) and optionally ``flip`` and
            ``flip_direction``.

    Returns:
        Tensor: Boxes in the input frame, shape (N, 4).
    """
    bboxes = scale_boxes(bboxes.float(), img_meta['scale_factor'])
    if img_meta.get('flip', False):
        bboxes = bbox_flip(bboxes, img_meta['img_shape'], img_meta['flip_direction'])
    return bboxes


def boxes_to_original_frame(bboxes: Tensor, img_meta: dict) -> Tensor:
    """Inverse of :func:`boxes_to_input_frame`.

    Args:
        bboxes (Tensor): Boxes x1y1x2y2 in the input frame, shape (N, 4).
        img_meta (dict): Sample metainfo, as for
            :func:`boxes_to_input_frame`.

    Returns:
        Tensor: Boxes in the original image, shape (N, 4).
    """
    if img_meta.get('flip', False):
        bboxes = bbox_flip(bboxes, img_meta['img_shape'], img_meta['flip_direction'])
    scale_w, scale_h = img_meta['scale_factor']
    return scale_boxes(bboxes, (1 / scale_w, 1 / scale_h))
