"""RoI head with a re-ID embedding branch beside the box head."""
from typing import List, Tuple

import torch
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.models.utils import unpack_gt_instances
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi
from mmdet.utils import ConfigType, InstanceList
from torch import Tensor

from ..utils.box_frames import boxes_to_original_frame


def sampled_person_ids(sampling_results: List[SamplingResult],
                       batch_gt_instances: InstanceList) -> Tensor:
    """The person ids of the sampled positives, image by image.

    Args:
        sampling_results (list[SamplingResult]): One per image.
        batch_gt_instances (list[InstanceData]): Ground truth per image,
            with ``person_ids`` (G,) (-1: unlabelled).

    Returns:
        Tensor: (P,) int64, the id of each positive's assigned ground truth,
        in the order of ``bbox2roi([res.pos_priors ...])``.
    """
    return torch.cat([
        gt.person_ids.to(res.pos_assigned_gt_inds.device)[res.pos_assigned_gt_inds]
        for res, gt in zip(sampling_results, batch_gt_instances)
    ]).long()


@MODELS.register_module()
class PersonSearchRoIHead(StandardRoIHead):
    """Faster R-CNN RoI head that also embeds persons for re-identification.

    Training (:meth:`loss`, a template for the variants): proposals are
    assigned and sampled as in :class:`StandardRoIHead`; the box head is
    trained on all sampled proposals, then two hooks add their losses:
    :meth:`extra_losses` (other branches: a mask head, BUFF's segmentation
    head) and :meth:`reid_loss`, the identity loss on the positive
    proposals, each labelled with ``gt_instances.person_ids`` of its
    assigned ground truth (:func:`sampled_person_ids`; background proposals
    take no part in it).

    Prediction: boxes are classified, regressed and NMS-ed by the box head;
    the embeddings of the final boxes are then computed by pooling the
    feature map again at the regressed boxes (as SeqNet-era implementations
    do), through the shared head and the re-ID head. Query boxes are
    embedded by the same path (:meth:`embed_boxes`), so that gallery and
    query embeddings are comparable.

    Args:
        reid_head (dict): Config of the embedding head, e.g.
            :class:`ReIDEmbeddingHead`; it takes the RoI features after the
            shared head, shape (N, C, H, W).
        **kwargs: Arguments of :class:`StandardRoIHead`.
    """

    def __init__(self, reid_head: ConfigType, **kwargs) -> None:
        super().__init__(**kwargs)
        self.reid_head = MODELS.build(reid_head)

    def loss(self, x: Tuple[Tensor], rpn_results_list: InstanceList,
             batch_data_samples: SampleList) -> dict:
        """Assign and sample proposals, then compute the box loss and the
        losses of the hooks: :meth:`extra_losses` (a mask head's, BUFF's
        segmentation) and :meth:`reid_loss` (the identity loss).

        Subclasses change the hooks, not this loop.

        Args:
            x (tuple[Tensor]): Feature maps, each (B, C, H, W).
            rpn_results_list (list[InstanceData]): Proposals per image.
            batch_data_samples (list[DetDataSample]): Samples whose
                ``gt_instances`` carry ``bboxes``, ``labels`` and
                ``person_ids`` (N,) int64.

        Returns:
            dict[str, Tensor]: ``loss_cls``, ``acc``, ``loss_bbox``, the
            losses of :meth:`extra_losses` and the identity loss
            (``loss_oim`` for :class:`OIMLoss`).
        """
        assert len(rpn_results_list) == len(batch_data_samples)
        batch_gt_instances, batch_gt_instances_ignore, _ = \
            unpack_gt_instances(batch_data_samples)
        sampling_results = self.assign_and_sample(
            self.det_feats(x), rpn_results_list, batch_gt_instances,
            batch_gt_instances_ignore)
        bbox_results = self.bbox_loss(x, sampling_results)
        losses = dict(bbox_results['loss_bbox'])
        losses.update(
            self.extra_losses(x, sampling_results, bbox_results, batch_gt_instances))
        losses.update(
            self.reid_loss(x, sampling_results, bbox_results, batch_gt_instances))
        return losses

    def det_feats(self, x: Tuple[Tensor]) -> Tuple[Tensor]:
        """The maps the detection branch reads (all of ``x`` here).

        Args:
            x (tuple[Tensor]): Feature maps, each (B, C, H, W).

        Returns:
            tuple[Tensor]: The maps given to the box head and the sampler.
        """
        return x

    def assign_and_sample(
            self, feats: Tuple[Tensor], rpn_results_list: InstanceList,
            batch_gt_instances: InstanceList,
            batch_gt_instances_ignore: InstanceList) -> List[SamplingResult]:
        """Assign the proposals of each image to its ground truth and sample
        them (positives first), as :class:`StandardRoIHead` does.

        Args:
            feats (tuple[Tensor]): The maps the sampler may read (e.g. for
                OHEM), each (B, C, H, W).
            rpn_results_list (list[InstanceData]): Proposals per image; their
                ``bboxes`` are moved to ``priors``.
            batch_gt_instances (list[InstanceData]): Ground truth per image.
            batch_gt_instances_ignore (list[InstanceData]): Ignored boxes.

        Returns:
            list[SamplingResult]: One per image.
        """
        sampling_results = []
        for i, rpn_results in enumerate(rpn_results_list):
            rpn_results.priors = rpn_results.pop('bboxes')
            assign_result = self.bbox_assigner.assign(rpn_results,
                                                      batch_gt_instances[i],
                                                      batch_gt_instances_ignore[i])
            sampling_results.append(
                self.bbox_sampler.sample(
                    assign_result,
                    rpn_results,
                    batch_gt_instances[i],
                    feats=[feat[i][None] for feat in feats]))
        return sampling_results

    def extra_losses(self, x: Tuple[Tensor], sampling_results: List[SamplingResult],
                     bbox_results: dict, batch_gt_instances: InstanceList) -> dict:
        """Losses of the branches beside the box and re-ID heads; here the
        mask head's, when there is one (with ``mask_roi_extractor=None`` it
        reads the box head's RoI features, ``bbox_results['bbox_feats']``).

        Runs before :meth:`reid_loss`, which may read what this hook adds to
        ``bbox_results``.

        Args:
            x (tuple[Tensor]): Feature maps, each (B, C, H, W).
            sampling_results (list[SamplingResult]): One per image.
            bbox_results (dict): The output of :meth:`bbox_loss`.
            batch_gt_instances (list[InstanceData]): Ground truth per image.

        Returns:
            dict[str, Tensor]: ``loss_mask`` with a mask head, else nothing.
        """
        if not self.with_mask:
            return dict()
        mask_results = self.mask_loss(x, sampling_results, bbox_results['bbox_feats'],
                                      batch_gt_instances)
        return mask_results['loss_mask']

    def reid_loss(self, x: Tuple[Tensor], sampling_results: List[SamplingResult],
                  bbox_results: dict, batch_gt_instances: InstanceList) -> dict:
        """Identity loss on the positive proposals, from the box head's RoI
        features after the shared head (``bbox_results['bbox_feats']``, (N,
        C, H, W), image by image and, within an image, positives first).

        Args:
            x (tuple[Tensor]): Feature maps, each (B, C, H, W).
            sampling_results (list[SamplingResult]): One per image.
            bbox_results (dict): The output of :meth:`bbox_loss`.
            batch_gt_instances (list[InstanceData]): Ground truth per image,
                with ``person_ids`` (G,).

        Returns:
            dict[str, Tensor]: The identity loss.
        """
        bbox_feats = bbox_results['bbox_feats']
        pos_masks = []
        for res in sampling_results:
            pos_masks.append(bbox_feats.new_ones(len(res.pos_priors), dtype=torch.bool))
            pos_masks.append(
                bbox_feats.new_zeros(len(res.neg_priors), dtype=torch.bool))
        return self.reid_head.loss(
            bbox_feats[torch.cat(pos_masks)],
            sampled_person_ids(sampling_results, batch_gt_instances))

    def embed_boxes(self, x: Tuple[Tensor], boxes_list: List[Tensor]) -> List[Tensor]:
        """Embed boxes given in the network input frame.

        Args:
            x (tuple[Tensor]): Feature maps, each (B, C, H, W).
            boxes_list (list[Tensor]): One (M_i, 4) x1y1x2y2 tensor per
                image of the batch (M_i may be 0).

        Returns:
            list[Tensor]: L2-normalised embeddings, one (M_i, D) tensor per
            image, in the order of the boxes.
        """
        rois = bbox2roi(boxes_list)
        if rois.shape[0] == 0:
            embeddings = rois.new_zeros(0, self.reid_head.embed_dim)
        else:
            embeddings = self.embed_rois(x, rois)
        return list(embeddings.split([len(b) for b in boxes_list]))

    def embed_rois(self, x: Tuple[Tensor], rois: Tensor) -> Tensor:
        """Embed at least one RoI: the re-ID path that subclasses change.

        Args:
            x (tuple[Tensor]): Feature maps, each (B, C, H, W).
            rois (Tensor): (K, 5) ``[batch_index, x1, y1, x2, y2]``, K > 0,
                in the network input frame.

        Returns:
            Tensor: L2-normalised embeddings, shape (K, D).
        """
        feats = self.bbox_roi_extractor(x[:self.bbox_roi_extractor.num_inputs], rois)
        if self.with_shared_head:
            feats = self.shared_head(feats)
        return self.reid_head(feats)

    def predict(self,
                x: Tuple[Tensor],
                rpn_results_list: InstanceList,
                batch_data_samples: SampleList,
                rescale: bool = False) -> InstanceList:
        """Detect persons and embed the final boxes.

        Args:
            x (tuple[Tensor]): Feature maps, each (B, C, H, W).
            rpn_results_list (list[InstanceData]): Proposals per image, in
                the input frame.
            batch_data_samples (list[DetDataSample]): The batch samples.
            rescale (bool): Return boxes in the original image frame.

        Returns:
            list[InstanceData]: Per image ``bboxes`` (N, 4), ``scores`` (N,),
            ``labels`` (N,) and ``embeddings`` (N, D).
        """
        batch_img_metas = [ds.metainfo for ds in batch_data_samples]
        results_list = self.predict_bbox(
            x, batch_img_metas, rpn_results_list, self.test_cfg, rescale=False)
        embeddings = self.embed_boxes(x, [r.bboxes for r in results_list])
        for results, embeds, img_meta in zip(results_list, embeddings, batch_img_metas):
            results.embeddings = embeds
            if rescale:
                results.bboxes = boxes_to_original_frame(results.bboxes, img_meta)
        return results_list
