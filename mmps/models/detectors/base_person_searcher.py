"""The mmps inference contract as a base class of every person searcher."""
from abc import ABCMeta, abstractmethod
from typing import Any, List

import torch.nn as nn
from mmdet.structures import SampleList
from torch import Tensor

from ..utils.query_packing import pack_query_predictions, query_boxes


def contract_error(model: nn.Module, missing: str) -> ValueError:
    """The error for a model that breaks the mmps inference contract.

    Args:
        model (nn.Module): The model.
        missing (str): What it lacks, e.g. ``'pred_instances.embeddings'``.

    Returns:
        ValueError: To raise; it says the config is no person-search config.
    """
    return ValueError(
        f'the {type(model).__name__} model of this config gives no '
        f'{missing}: it is not a person-search model (mmps inference '
        'contract, docs/design.md); use a person-search config, e.g. one of '
        'configs/oim/ or configs/buff/')


class BasePersonSearcher(metaclass=ABCMeta):
    """Mixin of every mmps person searcher: the inference contract of
    ``docs/design.md``.

    A searcher is an mmdet detector (``BaseDetector`` subclass) that mixes
    this class in first, e.g. ``class PersonSearchTwoStage(
    BasePersonSearcher, TwoStageDetector)``. It then promises:

    - gallery mode: ``predict`` returns ``pred_instances`` with ``bboxes``
      (N, 4) in the original image frame, ``scores`` (N,), ``labels`` (N,)
      and L2-normalised ``embeddings`` (N, D); for samples carrying
      ``query_instances`` it also sets ``pred_query_instances`` (its
      ``predict`` calls :meth:`add_query_predictions` with the features it
      already extracted);
    - query mode: :meth:`predict_query` embeds the given query boxes only
      (no detection) into ``pred_query_instances``.

    A subclass implements :meth:`embed_boxes`; everything else here is
    shared. The one-stage and two-step searchers implement the same method
    on what their ``extract_feat`` returns (feature maps, or the normalised
    images that a two-step searcher crops from).
    """

    @abstractmethod
    def embed_boxes(self, feats: Any, boxes_list: List[Tensor],
                    batch_data_samples: SampleList) -> List[Tensor]:
        """Embed given boxes of each image.

        Args:
            feats: What ``self.extract_feat(batch_inputs)`` returns for the
                batch (e.g. a tuple of (B, C, H, W) feature maps).
            boxes_list (list[Tensor]): One (M_i, 4) x1y1x2y2 tensor per
                image, in the network input frame (M_i may be 0).
            batch_data_samples (list[DetDataSample]): The samples, for
                their metainfo.

        Returns:
            list[Tensor]: L2-normalised embeddings, one (M_i, D) tensor per
            image, in the order of the boxes.
        """

    def predict_query(self, batch_inputs: Tensor,
                      batch_data_samples: SampleList) -> SampleList:
        """Embed the given query boxes only: no detection.

        Args:
            batch_inputs (Tensor): Images, shape (B, 3, H, W).
            batch_data_samples (list[DetDataSample]): Samples carrying
                ``query_instances`` (``bboxes`` (M, 4) in the original image
                frame, plus any other fields).

        Returns:
            list[DetDataSample]: The samples with ``pred_query_instances``:
            ``bboxes`` (M, 4) the given boxes, in the original frame and
            order, ``embeddings`` (M, D), and every other field of
            ``query_instances``.
        """
        feats = self.extract_feat(batch_inputs)
        self.add_query_predictions(feats, batch_data_samples)
        return batch_data_samples

    def add_query_predictions(self, feats: Any, batch_data_samples: SampleList) -> None:
        """Set ``pred_query_instances`` on the samples that carry
        ``query_instances``, embedding all query boxes of the batch in one
        :meth:`embed_boxes` call.

        Args:
            feats: What ``self.extract_feat`` returned for the batch.
            batch_data_samples (list[DetDataSample]): The samples (changed
                in place).
        """
        boxes_list = query_boxes(batch_data_samples)
        if boxes_list is None:
            return
        device = next(self.parameters()).device
        boxes_list = [boxes.to(device) for boxes in boxes_list]
        embeddings = self.embed_boxes(feats, boxes_list, batch_data_samples)
        pack_query_predictions(batch_data_samples, embeddings)


def check_person_searcher(model: nn.Module) -> None:
    """Refuse a model that does not honour the inference contract.

    Args:
        model (nn.Module): The model built from a config.

    Raises:
        ValueError: ``model`` is no :class:`BasePersonSearcher` (the message
            says which config to use instead).
    """
    if not isinstance(model, BasePersonSearcher):
        raise contract_error(model, 'pred_instances.embeddings')
