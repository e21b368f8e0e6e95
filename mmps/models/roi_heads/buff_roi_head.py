"""RoI head of BUFF: detection on conv4, re-ID from fused multi-level
foreground-aware RoI features."""
from typing import List, Optional, Sequence, Tuple

from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi
from mmdet.utils import ConfigType, InstanceList, OptConfigType
from torch import Tensor

from ..layers import foreground_attention
from ..utils.featmap_stride import check_featmap_stride
from .person_search_roi_head import PersonSearchRoIHead, sampled_person_ids


@MODELS.register_module()
class BUFFRoIHead(PersonSearchRoIHead):
    """Separate detection and re-ID heads over a multi-level backbone
    output (BUFF, Yang et al., ACM MM 2020, Fig. 3).

    ``x`` is the tuple of backbone levels (conv1..conv4 for
    :class:`ResNetWithStem`).

    - Detection: ``bbox_roi_extractor`` and ``bbox_head`` read
      ``x[det_in_index]`` only (no shared head).
    - Foreground segmentation (optional): ``seg_head`` reads
      ``x[seg_in_index]``; its sigmoid is the probability map ``a``.
    - FAM: levels in ``fam_in_indices`` become ``X + X * a`` (``a`` resized
      to each level) before the re-ID pooling.
    - Re-ID: ``reid_fusion`` (:class:`BottomUpFusion`) pools and fuses its
      levels, ``reid_shared_head`` (conv5) follows, then ``reid_head``
      (global average pooling, optional projection, L2 normalisation and
      the identity loss).

    Training: proposals are assigned and sampled as in
    :class:`PersonSearchRoIHead`; the box head sees all sampled proposals,
    the re-ID branch only the positives (each labelled with the
    ``person_ids`` of its ground truth), the segmentation head the whole
    map. Prediction and query embedding are those of
    :class:`PersonSearchRoIHead`, with :meth:`embed_boxes` running the re-ID
    branch above at the given boxes.

    The strides that the detection RoI extractor, ``seg_head`` and
    ``reid_fusion`` assume for the levels they read are checked against
    those levels and the padded batch input (``batch_input_shape``) in
    :meth:`loss` and :meth:`predict`, so that a stride configured for
    another level fails loudly instead of misplacing RoIs or box masks.

    Args:
        reid_fusion (dict): Config of the re-ID RoI feature extractor, e.g.
            :class:`BottomUpFusion`, called as ``(x, rois)``, with
            ``in_indices`` (levels read) and ``featmap_strides`` (stride of
            every level).
        reid_shared_head (dict): Config of the layers after the fusion
            (ResNet conv5: mmdet's ``ResLayer`` shared head).
        reid_head (dict): Config of the embedding head, e.g.
            :class:`ReIDEmbeddingHead`.
        det_in_index (int): Level read by the detection branch. Defaults to
            -1 (conv4).
        seg_head (dict, optional): Config of the foreground segmentation
            head, e.g. :class:`ForegroundSegHead`. Defaults to None.
        seg_in_index (int): Level read by ``seg_head``. Defaults to 2
            (conv3).
        fam_in_indices (Sequence[int]): Levels given foreground attention;
            needs ``seg_head``. Defaults to () (no FAM).
        **kwargs: Arguments of :class:`StandardRoIHead` (``bbox_roi_extractor``,
            ``bbox_head``, ``train_cfg``, ``test_cfg``, ...).
    """

    def __init__(self,
                 reid_fusion: ConfigType,
                 reid_shared_head: ConfigType,
                 reid_head: ConfigType,
                 det_in_index: int = -1,
                 seg_head: OptConfigType = None,
                 seg_in_index: int = 2,
                 fam_in_indices: Sequence[int] = (),
                 **kwargs) -> None:
        super().__init__(reid_head=reid_head, **kwargs)
        if fam_in_indices and seg_head is None:
            raise ValueError('FAM needs the foreground map of a seg_head')
        self.det_in_index = det_in_index
        self.seg_in_index = seg_in_index
        self.fam_in_indices = tuple(fam_in_indices)
        self.reid_fusion = MODELS.build(reid_fusion)
        self.reid_shared_head = MODELS.build(reid_shared_head)
        self.seg_head = MODELS.build(seg_head) if seg_head else None

    @property
    def with_seg(self) -> bool:
        """Whether the head has a foreground segmentation head."""
        return self.seg_head is not None

    def check_featmap_strides(self, x: Tuple[Tensor],
                              batch_input_shape: Sequence[int]) -> None:
        """Check the stride each branch assumes for the level it reads.

        Args:
            x (tuple[Tensor]): Backbone levels, each (B, C_l, H_l, W_l).
            batch_input_shape (Sequence[int]): (H, W) of the padded batch
                input.

        Raises:
            ValueError: A level's size times the stride assumed for it does
                not match the input (the message names the level, the
                branch and both sizes).
        """
        det_stride = self.bbox_roi_extractor.featmap_strides[0]
        checks = [(self.det_in_index, det_stride,
                   'bbox_roi_extractor.featmap_strides[0]')]
        if self.with_seg:
            checks.append((self.seg_in_index, self.seg_head.featmap_stride,
                           'seg_head.featmap_stride'))
        checks += [(level, self.reid_fusion.featmap_strides[level],
                    f'reid_fusion.featmap_strides[{level}]')
                   for level in self.reid_fusion.in_indices]
        for level, stride, source in checks:
            check_featmap_stride(
                x[level].shape[-2:], stride, batch_input_shape,
                f'level {level % len(x)} of the backbone output ({source})')

    def det_feats(self, x: Tuple[Tensor]) -> Tuple[Tensor]:
        """The detection level alone, ``(x[det_in_index], )``."""
        return (x[self.det_in_index], )

    def _bbox_forward(self, x: Tuple[Tensor], rois: Tensor) -> dict:
        """Box head on the detection level (see
        :meth:`StandardRoIHead._bbox_forward`)."""
        return super()._bbox_forward(self.det_feats(x), rois)

    def _reid_maps(self, x: Tuple[Tensor],
                   seg_logits: Optional[Tensor]) -> List[Tensor]:
        """The maps the re-ID branch pools from: ``x`` with FAM applied to
        the levels in ``fam_in_indices``.

        Args:
            x (tuple[Tensor]): Backbone levels, each (B, C_l, H_l, W_l).
            seg_logits (Tensor, optional): Foreground logits, shape
                (B, 1, h, w); needed when there is FAM.

        Returns:
            list[Tensor]: One map per level, shapes as ``x``.
        """
        maps = list(x)
        if self.fam_in_indices:
            fg_prob = seg_logits.sigmoid()
            for level in self.fam_in_indices:
                maps[level] = foreground_attention(x[level], fg_prob)
        return maps

    def _reid_forward(self, maps: List[Tensor], rois: Tensor) -> Tensor:
        """Re-ID RoI features: fusion then conv5.

        Args:
            maps (list[Tensor]): Output of :meth:`_reid_maps`.
            rois (Tensor): RoIs, shape (N, 5), in the network input frame.

        Returns:
            Tensor: Features for ``reid_head``, e.g. (N, 2048, 7, 4).
        """
        return self.reid_shared_head(self.reid_fusion(maps, rois))

    def loss(self, x: Tuple[Tensor], rpn_results_list: InstanceList,
             batch_data_samples: SampleList) -> dict:
        """Check the strides (:meth:`check_featmap_strides`), then compute
        the losses of :meth:`PersonSearchRoIHead.loss`: box, segmentation
        (:meth:`extra_losses`) and identity (:meth:`reid_loss`).

        Args:
            x (tuple[Tensor]): Backbone levels, each (B, C_l, H_l, W_l).
            rpn_results_list (list[InstanceData]): Proposals per image.
            batch_data_samples (list[DetDataSample]): Samples whose
                ``gt_instances`` carry ``bboxes``, ``labels`` and
                ``person_ids`` (N,) int64.

        Returns:
            dict[str, Tensor]: ``loss_cls``, ``acc``, ``loss_bbox``, with a
            segmentation head ``loss_seg``, and the identity loss.
        """
        self.check_featmap_strides(x,
                                   batch_data_samples[0].metainfo['batch_input_shape'])
        return super().loss(x, rpn_results_list, batch_data_samples)

    def extra_losses(self, x: Tuple[Tensor], sampling_results: List[SamplingResult],
                     bbox_results: dict, batch_gt_instances: InstanceList) -> dict:
        """The segmentation loss on the whole map, when there is a
        ``seg_head``; its logits go to ``bbox_results['seg_logits']`` for
        the FAM of :meth:`reid_loss`.

        Args:
            x (tuple[Tensor]): Backbone levels, each (B, C_l, H_l, W_l).
            sampling_results (list[SamplingResult]): One per image.
            bbox_results (dict): The output of :meth:`bbox_loss` (changed
                in place).
            batch_gt_instances (list[InstanceData]): Ground truth per image.

        Returns:
            dict[str, Tensor]: ``loss_seg``, or nothing without a seg head.
        """
        if not self.with_seg:
            return dict()
        seg_logits = self.seg_head(x[self.seg_in_index])
        bbox_results['seg_logits'] = seg_logits
        return self.seg_head.loss(seg_logits, batch_gt_instances)

    def reid_loss(self, x: Tuple[Tensor], sampling_results: List[SamplingResult],
                  bbox_results: dict, batch_gt_instances: InstanceList) -> dict:
        """Identity loss of the positive proposals through the
        foreground-aware, fused re-ID path (FAM reads
        ``bbox_results['seg_logits']``).

        Args:
            x (tuple[Tensor]): Backbone levels, each (B, C_l, H_l, W_l).
            sampling_results (list[SamplingResult]): One per image.
            bbox_results (dict): The output of :meth:`bbox_loss`, after
                :meth:`extra_losses`.
            batch_gt_instances (list[InstanceData]): Ground truth per image,
                with ``person_ids`` (G,).

        Returns:
            dict[str, Tensor]: The identity loss.
        """
        pos_rois = bbox2roi([res.pos_priors for res in sampling_results])
        maps = self._reid_maps(x, bbox_results.get('seg_logits'))
        return self.reid_head.loss(
            self._reid_forward(maps, pos_rois),
            sampled_person_ids(sampling_results, batch_gt_instances))

    def predict(self,
                x: Tuple[Tensor],
                rpn_results_list: InstanceList,
                batch_data_samples: SampleList,
                rescale: bool = False) -> InstanceList:
        """Check the strides (:meth:`check_featmap_strides`), then detect
        and embed as :meth:`PersonSearchRoIHead.predict`."""
        self.check_featmap_strides(x,
                                   batch_data_samples[0].metainfo['batch_input_shape'])
        return super().predict(x, rpn_results_list, batch_data_samples, rescale)

    def embed_rois(self, x: Tuple[Tensor], rois: Tensor) -> Tensor:
        """Embed at least one RoI through the foreground-aware, fused re-ID
        path (the same one the identity loss trains).

        Args:
            x (tuple[Tensor]): Backbone levels, each (B, C_l, H_l, W_l).
            rois (Tensor): (K, 5) ``[batch_index, x1, y1, x2, y2]``, K > 0,
                in the network input frame.

        Returns:
            Tensor: L2-normalised embeddings, shape (K, D).
        """
        seg_logits = (
            self.seg_head(x[self.seg_in_index]) if self.fam_in_indices else None)
        return self.reid_head(self._reid_forward(self._reid_maps(x, seg_logits), rois))
