"""Query boxes in, ``pred_query_instances`` out: the packing that every
person searcher shares."""
from typing import List, Optional

import torch
from mmdet.structures import SampleList
from mmdet.structures.bbox import get_box_tensor
from mmengine.structures import InstanceData
from torch import Tensor

from .box_frames import boxes_to_input_frame


def query_boxes(batch_data_samples: SampleList) -> Optional[List[Tensor]]:
    """The query boxes of each sample, in the network input frame.

    Args:
        batch_data_samples (list[DetDataSample]): Samples; those with
            ``query_instances`` carry ``bboxes`` (M, 4) in the original
            image frame.

    Returns:
        list[Tensor] | None: One float (M_i, 4) tensor per sample ((0, 4)
        on the CPU for a sample without queries), or None when no sample has queries.
    """
    if all('query_instances' not in sample for sample in batch_data_samples):
        return None
    boxes_list = []
    for sample in batch_data_samples:
        query = sample.get('query_instances')
        if query is None:
            boxes_list.append(torch.zeros(0, 4))
        else:
            boxes = get_box_tensor(query.bboxes).float()
            boxes_list.append(boxes_to_input_frame(boxes, sample.metainfo))
    return boxes_list


def pack_query_predictions(batch_data_samples: SampleList,
                           embeddings: List[Tensor]) -> None:
    """Set ``pred_query_instances`` on each sample with ``query_instances``.

    Args:
        batch_data_samples (list[DetDataSample]): The samples (changed in
            place).
        embeddings (list[Tensor]): One (M_i, D) tensor per sample, in the
            order of its query boxes (ignored for samples without queries).

    The packed instances hold every field of ``query_instances`` (e.g.
    ``query_indices``), the given ``bboxes`` (M, 4) unchanged (original
    frame, same order) and ``embeddings`` (M, D).
    """
    for sample, embeds in zip(batch_data_samples, embeddings):
        query = sample.get('query_instances')
        if query is None:
            continue
        pred = InstanceData(metainfo=query.metainfo)
        for key, value in query.items():
            pred[key] = value
        pred.bboxes = get_box_tensor(query.bboxes)
        pred.embeddings = embeds
        sample.pred_query_instances = pred
