"""RoI head of SMG: OIM plus a mask branch trained on partial masks."""
from typing import List, Tuple

import torch
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.registry import MODELS
from mmdet.structures.bbox import bbox2roi
from mmdet.structures.mask import mask_target
from mmdet.utils import InstanceList
from torch import Tensor

from .person_search_roi_head import PersonSearchRoIHead


def mask_guided_positives(sampling_results: List[SamplingResult],
                          batch_gt_instances: InstanceList) -> List[Tensor]:
    """Which positives of each image train the mask branch (SMG, Fig. 3).

    A positive qualifies when its assigned ground truth is a labelled person
    (``person_ids >= 0``, the "proposals with mask") whose mask is real
    (``mask_valid``; box stand-ins and masks dropped by ``mask_subset`` are
    not). Unlabelled persons and negatives never qualify.

    Args:
        sampling_results (list[SamplingResult]): One per image.
        batch_gt_instances (list[InstanceData]): Ground truth per image,
            with ``person_ids`` (G,) and ``masks``; ``mask_valid`` (G,) bool
            when loaded by ``LoadPersonSearchAnnotations`` (all masks count
            as real without it).

    Returns:
        list[Tensor]: Per image a (P_i,) bool tensor over its positives,
        in the order of ``pos_priors``.

    Raises:
        ValueError: When an image has no ``masks`` (the pipeline did not
            load them).
    """
    keep = []
    for res, gt in zip(sampling_results, batch_gt_instances):
        if 'masks' not in gt:
            raise ValueError('the mask head needs ground-truth masks: load them '
                             'with LoadPersonSearchAnnotations(with_mask=True)')
        inds = res.pos_assigned_gt_inds
        labelled = gt.person_ids.to(inds.device)[inds] >= 0
        if 'mask_valid' in gt:
            labelled &= gt.mask_valid.to(inds.device).bool()[inds]
        keep.append(labelled)
    return keep


@MODELS.register_module()
class SMGRoIHead(PersonSearchRoIHead):
    """Segmentation mask guided person search (SMG; Zheng et al., 2020,
    Sec. 3.2 and Fig. 3): :class:`PersonSearchRoIHead` (OIM) plus a mask
    branch that only trains.

    Configure ``mask_head`` (mmdet ``FCNMaskHead``, ``num_convs=0``: one
    2x deconvolution of the res5 RoI map F_p) with ``mask_roi_extractor``
    left None, so that the branch reads the box head's RoI features
    (``bbox_feats`` after the shared head) and no second RoI pass is made;
    ``train_cfg.mask_size`` sets the target size (2m, 14 for m = 7).

    Only the mask loss differs from mmdet's ``StandardRoIHead.mask_loss``:
    it is computed on the positives of labelled persons with a real mask
    (:func:`mask_guided_positives`), which is the paper's lambda of Eq. 7
    applied RoI by RoI; mmdet's version takes every positive and would
    learn box stand-ins as masks. With no such positive, ``loss_mask`` is
    an exact zero that still depends on the mask head (every parameter
    gets a zero gradient, as DDP needs).

    The mask never re-weights the re-ID features and is not predicted at
    inference: :meth:`predict` and :meth:`embed_boxes` are those of the
    base class, so an SMG model searches exactly as OIM does.
    """

    def mask_loss(self, x: Tuple[Tensor], sampling_results: List[SamplingResult],
                  bbox_feats: Tensor, batch_gt_instances: InstanceList) -> dict:
        """The binary cross entropy of the selected positives (Eq. 6,
        averaged over RoIs and pixels).

        Args:
            x (tuple[Tensor]): Feature maps, each (B, C, H, W); read only
                when the head has its own ``mask_roi_extractor``.
            sampling_results (list[SamplingResult]): One per image.
            bbox_feats (Tensor): (N, C, m, m) RoI features after the shared
                head, image by image and, within an image, positives first.
            batch_gt_instances (list[InstanceData]): Ground truth per image,
                with ``person_ids``, ``masks`` and ``mask_valid``.

        Returns:
            dict: ``mask_preds`` (S, 1, 2m, 2m) logits, ``mask_targets``
            (S, 2m, 2m) and ``loss_mask`` (``dict(loss_mask=Tensor)``).
        """
        keep = mask_guided_positives(sampling_results, batch_gt_instances)
        priors = [res.pos_priors[kept] for res, kept in zip(sampling_results, keep)]
        if self.share_roi_extractor:
            rows = []
            for res, kept in zip(sampling_results, keep):
                rows += [kept, kept.new_zeros(len(res.neg_priors))]
            mask_results = self._mask_forward(
                x, pos_inds=torch.cat(rows), bbox_feats=bbox_feats)
        else:
            mask_results = self._mask_forward(x, rois=bbox2roi(priors))
        mask_preds = mask_results['mask_preds']
        gt_inds = [
            res.pos_assigned_gt_inds[kept] for res, kept in zip(sampling_results, keep)
        ]
        mask_targets = mask_target(priors, gt_inds,
                                   [gt.masks for gt in batch_gt_instances],
                                   self.train_cfg)
        if len(mask_preds) == 0:
            loss_mask = mask_preds.sum()
        else:
            loss_mask = self.mask_head.loss_mask(
                mask_preds, mask_targets,
                mask_targets.new_zeros(len(mask_targets), dtype=torch.long))
        return dict(
            mask_preds=mask_preds,
            mask_targets=mask_targets,
            loss_mask=dict(loss_mask=loss_mask))
