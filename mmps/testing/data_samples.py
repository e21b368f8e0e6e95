"""Hand-made data samples for model tests and benchmarks."""
from typing import Optional, Sequence, Tuple

import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData


def make_det_sample(img_shape: Tuple[int, int],
                    scale: float = 1.0,
                    gt_bboxes: Optional[Sequence] = None,
                    person_ids: Optional[Sequence[int]] = None,
                    query_bboxes: Optional[Sequence] = None,
                    query_indices: Optional[Sequence[int]] = None,
                    flip: bool = False,
                    img_id: int = 0) -> DetDataSample:
    """A data sample as the person-search pipeline packs it.

    Args:
        img_shape (tuple[int, int]): (H, W) of the network input.
        scale (float): Input size over original size; the original image
            is ``img_shape / scale``. Defaults to 1.0.
        gt_bboxes (Sequence, optional): (N, 4) ground-truth boxes in the
            input frame; needs ``person_ids`` (N,). Defaults to None.
        person_ids (Sequence[int], optional): Ids of ``gt_bboxes`` (-1:
            unlabelled). Defaults to None.
        query_bboxes (Sequence | Tensor, optional): (M, 4) query boxes in
            the original frame, packed as ``query_instances``. Defaults to
            None.
        query_indices (Sequence[int], optional): Their ``query_indices``.
            Defaults to 0..M-1.
        flip (bool): Whether the input was flipped horizontally. Defaults
            to False.
        img_id (int): ``img_id`` of the metainfo. Defaults to 0.

    Returns:
        DetDataSample: With the metainfo of the pipeline, ``gt_instances``
        (``bboxes``, ``labels`` all 0, ``person_ids``) when boxes are given,
        and ``query_instances`` when query boxes are given.
    """
    height, width = img_shape
    sample = DetDataSample(
        metainfo=dict(
            img_id=img_id,
            img_path='',
            ori_shape=(int(round(height / scale)), int(round(width / scale))),
            img_shape=(height, width),
            scale_factor=(scale, scale),
            flip=flip,
            flip_direction='horizontal' if flip else None))
    if gt_bboxes is not None:
        gt = InstanceData()
        gt.bboxes = torch.as_tensor(gt_bboxes, dtype=torch.float32)
        gt.labels = torch.zeros(len(gt.bboxes), dtype=torch.long)
        gt.person_ids = torch.as_tensor(person_ids, dtype=torch.long)
        sample.gt_instances = gt
    if query_bboxes is not None:
        query = InstanceData()
        query.bboxes = torch.as_tensor(query_bboxes, dtype=torch.float32).reshape(-1, 4)
        query.query_indices = (
            torch.arange(len(query.bboxes)) if query_indices is None else
            torch.as_tensor(query_indices, dtype=torch.long))
        sample.query_instances = query
    return sample


def random_person_boxes(num: int, height: int, width: int,
                        generator: torch.Generator) -> torch.Tensor:
    """``num`` person-shaped boxes (height 2.5 x width) inside an image.

    Args:
        num (int): Number of boxes.
        height (int): Image height.
        width (int): Image width.
        generator (torch.Generator): Random source.

    Returns:
        Tensor: (num, 4) x1y1x2y2.
    """
    box_w = (0.1 + 0.2 * torch.rand(num, generator=generator)) * min(
        width, height / 2.5)
    box_h = 2.5 * box_w
    x1 = torch.rand(num, generator=generator) * (width - box_w)
    y1 = torch.rand(num, generator=generator) * (height - box_h)
    return torch.stack([x1, y1, x1 + box_w, y1 + box_h], dim=1)
