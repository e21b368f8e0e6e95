"""Two-stage person search detector (OIM and the models built on it)."""
from typing import List

from mmdet.models.detectors import TwoStageDetector
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import get_box_tensor
from mmengine.structures import InstanceData
from torch import Tensor

from ..utils.box_frames import boxes_to_input_frame


@MODELS.register_module()
class PersonSearchTwoStage(TwoStageDetector):
    """Faster R-CNN whose RoI head also embeds persons (OIM, Xiao et al.
    CVPR 2017), honouring the mmps inference contract.

    The RoI head must provide ``embed_boxes(x, boxes_list)`` and return
    ``embeddings`` with its predictions (see :class:`PersonSearchRoIHead`).
    Training is :class:`TwoStageDetector`'s: ``gt_instances.person_ids``
    reaches the RoI head with the other ground truth.
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
        rpn_results_list = self.rpn_head.predict(
            x, batch_data_samples, rescale=False)
        results_list = self.roi_head.predict(
            x, rpn_results_list, batch_data_samples, rescale=rescale)
        batch_data_samples = self.add_pred_to_datasample(
            batch_data_samples, results_list)
        self._add_query_predictions(x, batch_data_samples)
        return batch_data_samples

    def predict_query(self, batch_inputs: Tensor,
                      batch_data_samples: SampleList) -> SampleList:
        """Embed the given query boxes only: no RPN, no detection.

        Args:
            batch_inputs (Tensor): Images, shape (B, 3, H, W).
            batch_data_samples (list[DetDataSample]): Samples carrying
                ``query_instances``.

        Returns:
            list[DetDataSample]: The samples with ``pred_query_instances``:
            ``bboxes`` (M, 4) the given boxes, in the original frame and
            order, ``embeddings`` (M, D), and every other field of
            ``query_instances``.
        """
        x = self.extract_feat(batch_inputs)
        self._add_query_predictions(x, batch_data_samples)
        return batch_data_samples

    def _add_query_predictions(self, x: List[Tensor],
                               batch_data_samples: SampleList) -> None:
        """Set ``pred_query_instances`` on the samples that have
        ``query_instances``, embedding all query boxes of the batch at
        once."""
        device = x[0].device
        queries, boxes_list = [], []
        for data_sample in batch_data_samples:
            query = data_sample.get('query_instances')
            queries.append(query)
            if query is None:
                boxes_list.append(x[0].new_zeros(0, 4))
            else:
                bboxes = get_box_tensor(query.bboxes).to(device).float()
                boxes_list.append(
                    boxes_to_input_frame(bboxes, data_sample.metainfo))
        if all(query is None for query in queries):
            return
        embeddings = self.roi_head.embed_boxes(x, boxes_list)
        for data_sample, query, embeds in zip(batch_data_samples, queries,
                                              embeddings):
            if query is None:
                continue
            pred = InstanceData(metainfo=query.metainfo)
            for key, value in query.items():
                pred[key] = value
            pred.bboxes = get_box_tensor(query.bboxes)
            pred.embeddings = embeds
            data_sample.pred_query_instances = pred
