"""One-stage person search detector (PCNet)."""
from typing import List, Tuple

from mmdet.models.detectors import SingleStageDetector
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from torch import Tensor

from .base_person_searcher import BasePersonSearcher


@MODELS.register_module()
class PersonSearchSingleStage(BasePersonSearcher, SingleStageDetector):
    """A one-stage detector whose dense head also embeds persons (PCNet,
    Zhong et al.), honouring the mmps inference contract
    (:class:`BasePersonSearcher`).

    mmdet's :class:`SingleStageDetector` returns boxes only; this class adds
    the embeddings of the detected boxes and, in query mode, of given boxes.
    The head must return ``embeddings`` with its predictions and provide
    ``embed_boxes(x, boxes_list, batch_img_metas)`` (see
    :class:`PCNetHead`). Training is :class:`SingleStageDetector`'s:
    ``gt_instances.person_ids`` reaches the head with the other ground
    truth.
    """

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Gallery detection and, for samples with ``query_instances``,
        embeddings of the given query boxes.

        Args:
            batch_inputs (Tensor): Images, shape (B, 3, H, W).
            batch_data_samples (list[DetDataSample]): Samples; those with
                ``query_instances`` (``bboxes`` (M, 4) in the original image
                frame, plus any other fields) also get query embeddings.
            rescale (bool): Return gallery boxes in the original image
                frame. Defaults to True.

        Returns:
            list[DetDataSample]: The samples with ``pred_instances``
            (``bboxes`` (N, 4), ``scores`` (N,), ``labels`` (N,),
            ``embeddings`` (N, D)) and, where queries were given,
            ``pred_query_instances`` (see :meth:`predict_query`).
        """
        x = self.extract_feat(batch_inputs)
        results_list = self.bbox_head.predict(x, batch_data_samples, rescale=rescale)
        batch_data_samples = self.add_pred_to_datasample(batch_data_samples,
                                                         results_list)
        self.add_query_predictions(x, batch_data_samples)
        return batch_data_samples

    def embed_boxes(self, feats: Tuple[Tensor], boxes_list: List[Tensor],
                    batch_data_samples: SampleList) -> List[Tensor]:
        """Embed given boxes through the dense head's query path (no NMS,
        no cropping).

        Args:
            feats (tuple[Tensor]): Pyramid maps, each (B, C, H, W).
            boxes_list (list[Tensor]): One (M_i, 4) x1y1x2y2 tensor per
                image, in the network input frame.
            batch_data_samples (list[DetDataSample]): The samples, for their
                metainfo (image shapes).

        Returns:
            list[Tensor]: L2-normalised (M_i, D) embeddings per image.
        """
        return self.bbox_head.embed_boxes(
            feats, boxes_list, [sample.metainfo for sample in batch_data_samples])
