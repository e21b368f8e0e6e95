"""The dense head of PCNet (Zhong et al., Points in Context for Efficient
Person Search): re-ID maps first, detection decoded from them, identity
features aggregated across the pyramid without cropping."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmcv.ops import batched_nms
from mmdet.models.dense_heads import RetinaHead
from mmdet.models.task_modules.prior_generators import (MlvlPointGenerator,
                                                        anchor_inside_flags)
from mmdet.models.utils import (filter_scores_and_topk, images_to_levels, multi_apply,
                                select_single_mlvl)
from mmdet.registry import MODELS
from mmdet.structures.bbox import bbox_overlaps, cat_boxes, get_box_tensor, scale_boxes
from mmdet.utils import ConfigType, InstanceList, OptConfigType, OptInstanceList
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor

from ..layers.contextual_point_pooling import (ContextualPointPooling,
                                               point_distribution_loss)
from ..layers.cross_scale_aggregation import CrossScaleAggregation
from ..utils.featmap_stride import check_featmap_stride

REID_BRANCHES = ('cpp', 'conv3x3', 'plain', 'roialign')
DET_INPUTS = ('reid', 'pyramid', 'cls_tower', 'reg_tower')
QUERY_MATCHES = ('predicted', 'anchor')


def batch_norm_rows(norm: nn.BatchNorm1d, feats: Tensor) -> Tensor:
    """Apply a 1-d BatchNorm to (N, C) rows, also when N < 2 in training.

    ``nn.BatchNorm1d`` refuses a single training row (its variance is
    undefined); a batch with fewer than two positive anchors is normalised
    with the running statistics instead, as at test time.

    Args:
        norm (nn.BatchNorm1d): The normalisation layer.
        feats (Tensor): Shape (N, C).

    Returns:
        Tensor: Shape (N, C).
    """
    if norm.training and feats.shape[0] < 2:
        return F.batch_norm(feats, norm.running_mean, norm.running_var, norm.weight,
                            norm.bias, False, 0.0, norm.eps)
    return norm(feats)


@MODELS.register_module()
class PCNetHead(RetinaHead):
    """RetinaNet head of PCNet, serialized: the re-ID maps come first and the
    detection towers read them (Eq. 1-2); the identity feature of a box is
    its anchor's re-ID feature f' (Eq. 7) enriched by Cross Scale
    Aggregation over the pyramid cells inside the box (Eq. 8-10).

    mmdet's :class:`RetinaHead` has no identity branch; this subclass keeps
    its anchors, assigner, focal and box losses and post-processing and adds
    the re-ID path. Every row of the paper's ablation tables is a switch:

    - ``reid_branch``: ``'cpp'`` (Contextual Point Pooling, Eq. 5, one
      deformable 3x3 conv per level), ``'conv3x3'`` (one plain 3x3 conv per
      level, Table 1 r5), ``'plain'`` (F_reid = P_l, Table 1 r6) or
      ``'roialign'`` (``roi_extractor`` on the pyramid at the box, then GAP:
      Table 3 r3, not box-free).
    - ``det_input``: what the towers read: ``'reid'`` (serialized, the
      paper's head), ``'pyramid'`` (P_l: the parallel branches of Table 3),
      ``'cls_tower'`` / ``'reg_tower'`` (detection first, the re-ID branch
      on the last output of that tower: Table 2 r2-r3).
    - ``shared_tower``: one tower feeds both the classifier and the
      regressor (the light model of Table 4).
    - ``loss_dist`` (L_dist, Eq. 6), ``with_csa`` (Eq. 8-10), ``loss_tri``
      (Eq. 11): None switches each off.

    With A anchors per position and ``det_input='reid'``, CPP gives one map
    per anchor, (B, A*C, H, W); the towers run on them as (B*A, C, H, W) and
    predict one anchor each. Otherwise the towers predict all A anchors.

    Training (:meth:`loss_by_feat`): one ``get_targets`` call assigns the
    anchors (``return_sampling_results=True``); every positive anchor is one
    re-ID sample, with its assigned ground-truth box (for CSA) and identity.
    The embedding is ``L2(BN1d(f))``, trained by ``loss_reid`` (OIM); the
    triplet loss pulls ``L2(BN1d'(f'))`` (a second BatchNorm) to it.

    Inference (:meth:`predict_by_feat`): RetinaNet post-processing, with f'
    riding through score filtering and NMS as a field of the candidates;
    with ``gallery_cluster_iou`` the kept box's f' is the mean f' of the
    pre-NMS candidates overlapping it that much. Given boxes
    (:meth:`embed_boxes`, no NMS) take the mean f' of the anchors whose
    predicted box (``query_match='predicted'``) or anchor box
    (``'anchor'``) overlaps them by ``query_iou``, plus the best one.

    Args:
        num_classes (int): Detection classes. Defaults to 1 (person).
        in_channels (int): Channels C of the pyramid maps. Defaults to 256.
        reid_branch (str): See above. Defaults to 'cpp'.
        det_input (str): See above. Defaults to 'reid'.
        shared_tower (bool): One tower for both predictors. Defaults to
            False.
        num_points (int): Points K of CPP (a square: 3x3 kernel). Defaults
            to 9.
        offset_channels (int): Width of CPP's offset branch. Defaults to
            256.
        loss_dist (dict, optional): ``num_sets`` (M) and ``loss_weight`` of
            L_dist. Defaults to ``dict(num_sets=3, loss_weight=1.0)``.
        with_csa (bool): Cross Scale Aggregation. Defaults to True.
        csa_logit_clamp (float): Clamp of CSA's relation logits. Defaults
            to 50.0.
        roi_extractor (dict, optional): RoI extractor of the ``'roialign'``
            branch (e.g. mmdet's ``GenericRoIExtractor``). Defaults to None.
        loss_reid (dict): Identity loss on the embeddings. Defaults to
            ``OIMLoss`` with 256-d features.
        loss_tri (dict, optional): ``PCNetTripletLoss``. Defaults to
            margin 0.5.
        gallery_cluster_iou (float, optional): See above. Defaults to 0.6.
        query_iou (float): See above. Defaults to 0.5.
        query_match (str): ``'predicted'`` or ``'anchor'``. Defaults to
            'predicted'.
        **kwargs: Arguments of :class:`RetinaHead`.
    """

    def __init__(self,
                 num_classes: int = 1,
                 in_channels: int = 256,
                 reid_branch: str = 'cpp',
                 det_input: str = 'reid',
                 shared_tower: bool = False,
                 num_points: int = 9,
                 offset_channels: int = 256,
                 loss_dist: OptConfigType = dict(num_sets=3, loss_weight=1.0),
                 with_csa: bool = True,
                 csa_logit_clamp: float = 50.0,
                 roi_extractor: OptConfigType = None,
                 loss_reid: ConfigType = dict(type='OIMLoss', num_features=256),
                 loss_tri: OptConfigType = dict(type='PCNetTripletLoss', margin=0.5),
                 gallery_cluster_iou: Optional[float] = 0.6,
                 query_iou: float = 0.5,
                 query_match: str = 'predicted',
                 **kwargs) -> None:
        for name, value, allowed in (('reid_branch', reid_branch, REID_BRANCHES),
                                     ('det_input', det_input, DET_INPUTS),
                                     ('query_match', query_match, QUERY_MATCHES)):
            if value not in allowed:
                raise ValueError(f'PCNetHead: {name} must be one of {allowed}, '
                                 f'got {value!r}')
        if reid_branch == 'roialign' and (roi_extractor is None or with_csa or loss_tri
                                          or det_input == 'reid'):
            raise ValueError("PCNetHead: reid_branch='roialign' needs roi_extractor, "
                             "det_input='pyramid', with_csa=False and loss_tri=None "
                             '(the RoI features have no anchor feature f\')')
        if loss_dist is not None and reid_branch != 'cpp':
            raise ValueError(f'PCNetHead: loss_dist needs reid_branch=\'cpp\' (its '
                             f'points), got {reid_branch!r}; set loss_dist=None')
        self.reid_branch = reid_branch
        self.det_input = det_input
        self.shared_tower = shared_tower
        self.num_points = num_points
        self.offset_channels = offset_channels
        self.with_csa = with_csa
        self.csa_logit_clamp = csa_logit_clamp
        self.roi_extractor_cfg = roi_extractor
        self.gallery_cluster_iou = gallery_cluster_iou
        self.query_iou = query_iou
        self.query_match = query_match
        super().__init__(num_classes, in_channels, **kwargs)
        self.loss_dist_cfg = copy.deepcopy(loss_dist)
        self.loss_reid = MODELS.build(loss_reid)
        self.loss_tri = MODELS.build(loss_tri) if loss_tri else None
        # BN1d' of Eq. 11's positives L2(BN1d'(f')), beside the embedding's
        self.anchor_norm = nn.BatchNorm1d(
            self.reid_channels) if self.loss_tri is not None else None
        if self.loss_reid.num_features != self.reid_channels:
            raise ValueError(
                f'PCNetHead: the embeddings are {self.reid_channels}-d (the re-ID '
                f'maps) but loss_reid.num_features is '
                f'{self.loss_reid.num_features}: set loss_reid.num_features='
                f'{self.reid_channels}')
        strides = [stride[0] for stride in self.prior_generator.strides]
        self.point_generator = MlvlPointGenerator(strides, offset=0.5)

    @property
    def num_person_ids(self) -> int:
        """Rows of the identity loss's lookup table."""
        return self.loss_reid.num_person_ids

    @property
    def per_anchor_towers(self) -> bool:
        """Whether the towers run once per anchor on its own re-ID map."""
        return self.det_input == 'reid'

    def _init_layers(self) -> None:
        """Build the re-ID branch, the towers and the predictors."""
        num_levels = self.prior_generator.num_levels
        num_anchors = self.num_base_priors
        tower_in = self.in_channels
        self.reid_channels = self.in_channels
        if self.det_input in ('cls_tower', 'reg_tower'):
            self.reid_channels = self.feat_channels
        self.relu = nn.ReLU(inplace=True)
        self.cls_convs = nn.ModuleList()
        self.reg_convs = nn.ModuleList()
        for i in range(self.stacked_convs):
            chn = tower_in if i == 0 else self.feat_channels
            self.cls_convs.append(
                ConvModule(
                    chn,
                    self.feat_channels,
                    3,
                    padding=1,
                    conv_cfg=self.conv_cfg,
                    norm_cfg=self.norm_cfg))
            if not self.shared_tower:
                self.reg_convs.append(
                    ConvModule(
                        chn,
                        self.feat_channels,
                        3,
                        padding=1,
                        conv_cfg=self.conv_cfg,
                        norm_cfg=self.norm_cfg))
        pred_in = self.feat_channels if self.stacked_convs > 0 else tower_in
        preds_per_map = 1 if self.per_anchor_towers else num_anchors
        self.retina_cls = nn.Conv2d(
            pred_in, preds_per_map * self.cls_out_channels, 3, padding=1)
        self.retina_reg = nn.Conv2d(
            pred_in, preds_per_map * self.bbox_coder.encode_size, 3, padding=1)

        channels = self.reid_channels
        if self.reid_branch == 'cpp':
            self.cpp = ContextualPointPooling(
                in_channels=channels,
                num_levels=num_levels,
                num_points=self.num_points,
                num_anchors=num_anchors,
                offset_channels=self.offset_channels)
        elif self.reid_branch == 'conv3x3':
            self.reid_convs = nn.ModuleList(
                nn.Conv2d(channels, num_anchors * channels, 3, padding=1, bias=False)
                for _ in range(num_levels))
        elif self.reid_branch == 'roialign':
            self.roi_extractor = MODELS.build(self.roi_extractor_cfg)
        if self.with_csa:
            self.csa = CrossScaleAggregation(
                channels=channels,
                num_levels=num_levels,
                logit_clamp=self.csa_logit_clamp)
        self.embed_norm = nn.BatchNorm1d(channels)

    # ------------------------------------------------------------------
    # forward
    # ------------------------------------------------------------------
    def _towers(self, feat: Tensor) -> Tuple[Tensor, Tensor]:
        """The last cls and reg tower outputs of one map."""
        cls_feat = feat
        for conv in self.cls_convs:
            cls_feat = conv(cls_feat)
        if self.shared_tower:
            return cls_feat, cls_feat
        reg_feat = feat
        for conv in self.reg_convs:
            reg_feat = conv(reg_feat)
        return cls_feat, reg_feat

    def _reid_maps(
            self,
            feats: Sequence[Tensor]) -> Tuple[List[Tensor], Optional[List[Tensor]]]:
        """The re-ID maps (B, A*C, H, W) of each level and, for CPP, the
        offsets (B, 2*K*A, H, W); ``'roialign'`` returns ``feats`` as they
        are (the maps its extractor reads)."""
        if self.reid_branch == 'cpp':
            reid_feats, offsets = self.cpp(feats)
            return list(reid_feats), list(offsets)
        if self.reid_branch == 'conv3x3':
            return [conv(f) for conv, f in zip(self.reid_convs, feats)], None
        if self.reid_branch == 'plain' and self.num_base_priors > 1:
            return [f.repeat(1, self.num_base_priors, 1, 1) for f in feats], None
        return list(feats), None

    def forward(self, x: Tuple[Tensor, ...]) -> Tuple[List[Tensor], ...]:
        """Run the head on every pyramid level.

        Args:
            x (tuple[Tensor]): Pyramid maps P_l, each (B, C, H_l, W_l).

        Returns:
            tuple[list[Tensor]]: Per level: class scores (B, A*cls, H, W),
            box deltas (B, A*4, H, W), re-ID maps (B, A*C, H, W) (the pyramid
            maps for ``'roialign'``) and CPP offsets (B, 2*K*A, H, W), the
            last None without CPP.

        Raises:
            ValueError: The number of maps differs from the number of
                anchor strides.
        """
        num_levels = self.prior_generator.num_levels
        if len(x) != num_levels:
            raise ValueError(
                f'PCNetHead got {len(x)} feature levels but its anchor_generator has '
                f'{num_levels} strides {self.prior_generator.strides}: make the '
                'neck num_outs equal the number of strides')
        cls_scores, bbox_preds = [], []
        if self.per_anchor_towers:
            reid_feats, offsets = self._reid_maps(x)
            for feat in reid_feats:
                batch, channels, height, width = feat.shape
                cls_feat, reg_feat = self._towers(
                    feat.reshape(batch * self.num_base_priors, -1, height, width))
                cls_scores.append(
                    self.retina_cls(cls_feat).reshape(batch, -1, height, width))
                bbox_preds.append(
                    self.retina_reg(reg_feat).reshape(batch, -1, height, width))
            return cls_scores, bbox_preds, reid_feats, offsets
        cls_feats, reg_feats = multi_apply(self._towers, x)
        reid_in = dict(
            pyramid=x, cls_tower=cls_feats, reg_tower=reg_feats)[self.det_input]
        reid_feats, offsets = self._reid_maps(reid_in)
        cls_scores = [self.retina_cls(f) for f in cls_feats]
        bbox_preds = [self.retina_reg(f) for f in reg_feats]
        return cls_scores, bbox_preds, reid_feats, offsets

    # ------------------------------------------------------------------
    # shared helpers
    # ------------------------------------------------------------------
    def _check_strides(self, featmap_sizes: Sequence[torch.Size],
                       batch_img_metas: Sequence[dict]) -> None:
        """Check each level's size against its anchor stride."""
        input_shape = batch_img_metas[0].get('batch_input_shape')
        if input_shape is None:
            return
        for level, (size, stride) in enumerate(
                zip(featmap_sizes, self.prior_generator.strides)):
            check_featmap_stride(size, stride[0], input_shape,
                                 f'level {level} of the pyramid, read by PCNetHead')

    def _anchor_rows(self, maps: Sequence[Tensor], width: int) -> Tensor:
        """Per-anchor rows of per-level maps, in prior order.

        Args:
            maps (Sequence[Tensor]): Each (B, A*width, H, W), anchor-major
                channels.
            width (int): Channels per anchor.

        Returns:
            Tensor: (B, sum_l H_l*W_l*A, width), locations row-major and the
            A anchors of a location consecutive, as the anchor generator
            orders its priors.
        """
        return torch.cat(
            [m.permute(0, 2, 3, 1).reshape(m.shape[0], -1, width) for m in maps], dim=1)

    def _cell_feats(self, reid_feats: Sequence[Tensor]) -> List[Tensor]:
        """Per-cell re-ID maps (B, C, H, W): the A anchors' maps averaged."""
        return [
            f.reshape(f.shape[0], self.num_base_priors, -1, *f.shape[-2:]).mean(1)
            for f in reid_feats
        ]

    def _embed(self, anchor_feats: Tensor, boxes: Tensor, img_inds: Tensor,
               reid_feats: Sequence[Tensor]) -> Tensor:
        """f = CSA(f', box) (or f' without CSA), then L2(BN1d(f)).

        Args:
            anchor_feats (Tensor): f', shape (N, C).
            boxes (Tensor): Boxes in the input frame, shape (N, 4).
            img_inds (Tensor): Image of each box, shape (N,).
            reid_feats (Sequence[Tensor]): Re-ID maps of each level.

        Returns:
            Tensor: L2-normalised embeddings, shape (N, C).
        """
        feats = anchor_feats
        if self.with_csa:
            sizes = [f.shape[-2:] for f in reid_feats]
            points = self.point_generator.grid_priors(
                sizes, dtype=anchor_feats.dtype, device=anchor_feats.device)
            feats = self.csa(anchor_feats, boxes, img_inds,
                             self._cell_feats(reid_feats), points)
        return F.normalize(batch_norm_rows(self.embed_norm, feats), dim=1)

    def _embed_rois(self, feats: Sequence[Tensor], boxes: Tensor,
                    img_inds: Tensor) -> Tensor:
        """The ``'roialign'`` branch: extractor, GAP, BN1d, L2.

        Without boxes the (0, C) result carries an exact zero made of the
        extractor's and the BatchNorm's parameters, so that they still get a
        (zero) gradient in training.
        """
        if len(boxes) == 0:
            params = [*self.roi_extractor.parameters(), *self.embed_norm.parameters()]
            zero = sum(param.sum() for param in params) * 0
            return boxes.new_zeros(0, self.reid_channels) + zero
        rois = torch.cat([img_inds[:, None].to(boxes.dtype), boxes], dim=1)
        roi_feats = self.roi_extractor(
            tuple(feats[:self.roi_extractor.num_inputs]), rois)
        pooled = F.adaptive_avg_pool2d(roi_feats, 1).flatten(1)
        return F.normalize(batch_norm_rows(self.embed_norm, pooled), dim=1)

    # ------------------------------------------------------------------
    # training
    # ------------------------------------------------------------------
    def loss_by_feat(
            self,
            cls_scores: List[Tensor],
            bbox_preds: List[Tensor],
            reid_feats: List[Tensor],
            offsets: Optional[List[Tensor]],
            batch_gt_instances: InstanceList,
            batch_img_metas: List[dict],
            batch_gt_instances_ignore: OptInstanceList = None) -> Dict[str, Tensor]:
        """Detection losses (focal, smooth L1) and the re-ID losses (OIM,
        L_dist, L_tri) from one assignment of the anchors.

        Args:
            cls_scores, bbox_preds, reid_feats, offsets: :meth:`forward`'s
                outputs.
            batch_gt_instances (list[InstanceData]): ``bboxes``, ``labels``
                and ``person_ids`` (-1 unlabelled) per image.
            batch_img_metas (list[dict]): Metainfo per image.
            batch_gt_instances_ignore (list[InstanceData], optional):
                Ignored boxes. Defaults to None.

        Returns:
            dict[str, Tensor]: ``loss_cls``, ``loss_bbox`` (per level), the
            identity loss (``loss_reid.loss_name``) and, when switched on,
            ``loss_dist`` and ``loss_tri``.

        Raises:
            ValueError: A ground truth lacks ``person_ids``.
        """
        for gt in batch_gt_instances:
            if 'person_ids' not in gt:
                raise ValueError(
                    'PCNetHead needs gt_instances.person_ids (identity per box, -1 '
                    'unlabelled): load the annotations with mmps\'s '
                    'LoadPersonSearchAnnotations and PackPersonSearchInputs')
        featmap_sizes = [f.shape[-2:] for f in cls_scores]
        self._check_strides(featmap_sizes, batch_img_metas)
        device = cls_scores[0].device
        anchor_list, valid_flag_list = self.get_anchors(
            featmap_sizes, batch_img_metas, device=device)
        (labels_list, label_weights_list, bbox_targets_list, bbox_weights_list,
         avg_factor, sampling_results) = self.get_targets(
             anchor_list,
             valid_flag_list,
             batch_gt_instances,
             batch_img_metas,
             batch_gt_instances_ignore=batch_gt_instances_ignore,
             return_sampling_results=True)
        num_level_anchors = [anchors.size(0) for anchors in anchor_list[0]]
        all_anchor_list = images_to_levels(
            [cat_boxes(anchors) for anchors in anchor_list], num_level_anchors)
        losses_cls, losses_bbox = multi_apply(
            self.loss_by_feat_single,
            cls_scores,
            bbox_preds,
            all_anchor_list,
            labels_list,
            label_weights_list,
            bbox_targets_list,
            bbox_weights_list,
            avg_factor=avg_factor)
        losses = dict(loss_cls=losses_cls, loss_bbox=losses_bbox)
        positives = self._positives(anchor_list, valid_flag_list, sampling_results,
                                    batch_gt_instances, batch_img_metas)
        losses.update(self._reid_losses(reid_feats, offsets, positives))
        return losses

    def _positives(self, anchor_list: List[List[Tensor]],
                   valid_flag_list: List[List[Tensor]], sampling_results: list,
                   batch_gt_instances: InstanceList,
                   batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """The positive anchors of the batch, one re-ID sample each.

        Returns:
            dict[str, Tensor]: ``img_inds`` (P,), ``anchor_inds`` (P,)
            (index into the image's priors of all levels), ``levels`` (P,),
            ``gt_bboxes`` (P, 4) (the assigned ground truth) and
            ``person_ids`` (P,).
        """
        num_level_anchors = torch.tensor([a.size(0) for a in anchor_list[0]])
        level_ends = num_level_anchors.cumsum(0)
        fields = dict(img_inds=[], anchor_inds=[], gt_bboxes=[], person_ids=[])
        for img_id, (anchors, flags, result, gt, meta) in enumerate(
                zip(anchor_list, valid_flag_list, sampling_results, batch_gt_instances,
                    batch_img_metas)):
            inside = anchor_inside_flags(
                cat_boxes(anchors), torch.cat(flags), meta['img_shape'][:2],
                self.train_cfg['allowed_border'])
            anchor_inds = inside.nonzero().squeeze(1)[result.pos_inds]
            fields['img_inds'].append(torch.full_like(anchor_inds, img_id))
            fields['anchor_inds'].append(anchor_inds)
            fields['gt_bboxes'].append(get_box_tensor(result.pos_gt_bboxes))
            fields['person_ids'].append(
                gt.person_ids.to(
                    anchor_inds.device)[result.pos_assigned_gt_inds].long())
        positives = {key: torch.cat(value) for key, value in fields.items()}
        positives['levels'] = torch.bucketize(
            positives['anchor_inds'].cpu(), level_ends,
            right=True).to(positives['anchor_inds'].device)
        return positives

    def _reid_losses(self, reid_feats: List[Tensor], offsets: Optional[List[Tensor]],
                     positives: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """OIM on L2(BN1d(f)), L_dist on the CPP points, L_tri between f
        and f' (each a mean over the positive anchors)."""
        img_inds = positives['img_inds']
        boxes = positives['gt_bboxes']
        person_ids = positives['person_ids']
        losses = {}
        if self.reid_branch == 'roialign':
            embeddings = self._embed_rois(reid_feats, boxes, img_inds)
            losses[self.loss_reid.loss_name] = self.loss_reid(embeddings, person_ids)
            return losses
        rows = self._anchor_rows(reid_feats, self.reid_channels)
        anchor_feats = rows[img_inds, positives['anchor_inds']]
        embeddings = self._embed(anchor_feats, boxes, img_inds, reid_feats)
        losses[self.loss_reid.loss_name] = self.loss_reid(embeddings, person_ids)
        if self.loss_dist_cfg is not None:
            point_rows = self._anchor_rows(offsets, 2 * self.num_points)
            strides = anchor_feats.new_tensor(
                [s[1] for s in self.prior_generator.strides])[positives['levels']]
            loss_dist = point_distribution_loss(
                point_rows[img_inds, positives['anchor_inds']],
                strides,
                boxes[:, 3] - boxes[:, 1],
                num_sets=self.loss_dist_cfg['num_sets'])
            losses['loss_dist'] = loss_dist * self.loss_dist_cfg.get('loss_weight', 1.0)
        if self.loss_tri is not None:
            anchor_embeddings = F.normalize(
                batch_norm_rows(self.anchor_norm, anchor_feats), dim=1)
            losses['loss_tri'] = self.loss_tri(embeddings, anchor_embeddings,
                                               person_ids)
        return losses

    # ------------------------------------------------------------------
    # inference
    # ------------------------------------------------------------------
    def predict(self,
                x: Tuple[Tensor, ...],
                batch_data_samples: list,
                rescale: bool = False) -> InstanceList:
        """Detect persons and embed them (gallery mode).

        Args:
            x (tuple[Tensor]): Pyramid maps, each (B, C, H_l, W_l).
            batch_data_samples (list[DetDataSample]): The samples.
            rescale (bool): Return boxes in the original image frame.
                Defaults to False.

        Returns:
            list[InstanceData]: Per image ``bboxes`` (N, 4), ``scores``
            (N,), ``labels`` (N,) and L2-normalised ``embeddings`` (N, C).
        """
        batch_img_metas = [sample.metainfo for sample in batch_data_samples]
        return self.predict_by_feat(
            *self(x), batch_img_metas=batch_img_metas, rescale=rescale)

    def predict_by_feat(self,
                        cls_scores: List[Tensor],
                        bbox_preds: List[Tensor],
                        reid_feats: List[Tensor],
                        offsets: Optional[List[Tensor]] = None,
                        batch_img_metas: Optional[List[dict]] = None,
                        cfg: Optional[ConfigDict] = None,
                        rescale: bool = False,
                        with_nms: bool = True) -> InstanceList:
        """RetinaNet post-processing per image, then the embeddings of the
        kept boxes (CSA with the detected box in the input frame).

        Args:
            cls_scores, bbox_preds, reid_feats, offsets: :meth:`forward`'s
                outputs (``offsets`` unused).
            batch_img_metas (list[dict]): Metainfo per image.
            cfg (ConfigDict, optional): Test config. Defaults to
                ``test_cfg``.
            rescale (bool): Boxes in the original image frame. Defaults to
                False.
            with_nms (bool): Run NMS. Defaults to True.

        Returns:
            list[InstanceData]: As :meth:`predict`.
        """
        featmap_sizes = [f.shape[-2:] for f in cls_scores]
        self._check_strides(featmap_sizes, batch_img_metas)
        mlvl_priors = self.prior_generator.grid_priors(
            featmap_sizes, dtype=cls_scores[0].dtype, device=cls_scores[0].device)
        box_free = self.reid_branch != 'roialign'
        results_list = []
        for img_id, img_meta in enumerate(batch_img_metas):
            reid_list = [None] * len(featmap_sizes)
            if box_free:
                reid_list = [
                    f[img_id].permute(1, 2, 0).reshape(-1, self.reid_channels)
                    for f in reid_feats
                ]
            results_list.append(
                self._predict_by_feat_single(
                    cls_score_list=select_single_mlvl(cls_scores, img_id, detach=True),
                    bbox_pred_list=select_single_mlvl(bbox_preds, img_id, detach=True),
                    score_factor_list=reid_list,
                    mlvl_priors=mlvl_priors,
                    img_meta=img_meta,
                    cfg=cfg,
                    rescale=False,
                    with_nms=with_nms))
        boxes = torch.cat([r.bboxes for r in results_list])
        img_inds = torch.cat([
            torch.full((len(r), ), i, dtype=torch.long, device=boxes.device)
            for i, r in enumerate(results_list)
        ])
        if box_free:
            embeddings = self._embed(
                torch.cat([r.anchor_feats for r in results_list]), boxes, img_inds,
                reid_feats)
        else:
            embeddings = self._embed_rois(reid_feats, boxes, img_inds)
        for results, embeds, img_meta in zip(
                results_list, embeddings.split([len(r) for r in results_list]),
                batch_img_metas):
            if box_free:
                results.pop('anchor_feats')
            results.embeddings = embeds
            if rescale:
                results.bboxes = scale_boxes(results.bboxes,
                                             [1 / s for s in img_meta['scale_factor']])
        return results_list

    def _predict_by_feat_single(self,
                                cls_score_list: List[Tensor],
                                bbox_pred_list: List[Tensor],
                                score_factor_list: List[Optional[Tensor]],
                                mlvl_priors: List[Tensor],
                                img_meta: dict,
                                cfg: Optional[ConfigDict],
                                rescale: bool = False,
                                with_nms: bool = True) -> InstanceData:
        """RetinaNet post-processing of one image, carrying f' along.

        PCNet has no score factors; the slot carries each level's re-ID
        rows f' (H*W*A, C) instead (None entries for ``'roialign'``), which
        ``filter_scores_and_topk`` and NMS keep aligned with the boxes.

        Returns:
            InstanceData: ``bboxes`` (input frame; ``rescale`` is applied by
            :meth:`predict_by_feat` after CSA), ``scores``, ``labels`` and,
            box-free, ``anchor_feats`` (N, C) (f', or the cluster mean).
        """
        cfg = copy.deepcopy(self.test_cfg if cfg is None else cfg)
        nms_pre = cfg.get('nms_pre', -1)
        score_thr = cfg.get('score_thr', 0)
        mlvl = dict(bbox_pred=[], priors=[], scores=[], labels=[], anchor_feats=[])
        for cls_score, bbox_pred, anchor_feats, priors in zip(
                cls_score_list, bbox_pred_list, score_factor_list, mlvl_priors):
            carried = dict(
                bbox_pred=bbox_pred.permute(1, 2,
                                            0).reshape(-1, self.bbox_coder.encode_size),
                priors=priors)
            if anchor_feats is not None:
                carried['anchor_feats'] = anchor_feats.detach()
            scores = cls_score.permute(1, 2,
                                       0).reshape(-1, self.cls_out_channels).sigmoid()
            scores, labels, _, kept = filter_scores_and_topk(scores, score_thr, nms_pre,
                                                             carried)
            mlvl['scores'].append(scores)
            mlvl['labels'].append(labels)
            for key, value in kept.items():
                mlvl[key].append(value)
        candidates = InstanceData()
        candidates.bboxes = self.bbox_coder.decode(
            cat_boxes(mlvl['priors']),
            torch.cat(mlvl['bbox_pred']),
            max_shape=img_meta['img_shape'])
        candidates.scores = torch.cat(mlvl['scores'])
        candidates.labels = torch.cat(mlvl['labels'])
        if mlvl['anchor_feats']:
            candidates.anchor_feats = torch.cat(mlvl['anchor_feats'])
        if not with_nms or len(candidates) == 0:
            return candidates
        det_bboxes, keep = batched_nms(candidates.bboxes, candidates.scores,
                                       candidates.labels, cfg.nms)
        results = candidates[keep][:cfg.max_per_img]
        results.scores = det_bboxes[:cfg.max_per_img, -1]
        if self.gallery_cluster_iou is not None and 'anchor_feats' in candidates:
            results.anchor_feats = self._cluster_mean(results.bboxes, candidates.bboxes,
                                                      candidates.anchor_feats,
                                                      self.gallery_cluster_iou)
        return results

    @staticmethod
    def _cluster_mean(boxes: Tensor, ref_boxes: Tensor, ref_feats: Tensor,
                      iou_thr: float) -> Tensor:
        """Mean of ``ref_feats`` whose ``ref_boxes`` overlap each box by
        ``iou_thr``, plus the best-overlapping one.

        Args:
            boxes (Tensor): Shape (M, 4).
            ref_boxes (Tensor): Shape (N, 4).
            ref_feats (Tensor): Shape (N, C).
            iou_thr (float): IoU threshold.

        Returns:
            Tensor: Shape (M, C).
        """
        ious = bbox_overlaps(boxes, ref_boxes)
        selected = ious >= iou_thr
        selected[torch.arange(len(boxes), device=boxes.device), ious.argmax(1)] = True
        weights = selected.to(ref_feats.dtype)
        return weights @ ref_feats / weights.sum(1, keepdim=True)

    def embed_boxes(self, x: Tuple[Tensor, ...], boxes_list: List[Tensor],
                    batch_img_metas: List[dict]) -> List[Tensor]:
        """Embed given boxes (query mode): no NMS and no cropping.

        Every anchor's box is decoded; for each given box, f' is the mean
        re-ID feature of the anchors whose predicted box (or anchor box,
        ``query_match='anchor'``) overlaps it by ``query_iou``, plus the
        best-overlapping one; then CSA with the given box, BN1d and L2.

        Args:
            x (tuple[Tensor]): Pyramid maps, each (B, C, H_l, W_l).
            boxes_list (list[Tensor]): (M_i, 4) boxes per image, input
                frame.
            batch_img_metas (list[dict]): Metainfo per image.

        Returns:
            list[Tensor]: L2-normalised (M_i, C) embeddings, in box order.
        """
        cls_scores, bbox_preds, reid_feats, _ = self(x)
        featmap_sizes = [f.shape[-2:] for f in cls_scores]
        self._check_strides(featmap_sizes, batch_img_metas)
        boxes = torch.cat(boxes_list).to(cls_scores[0].dtype)
        img_inds = torch.cat([
            torch.full((len(b), ), i, dtype=torch.long, device=boxes.device)
            for i, b in enumerate(boxes_list)
        ])
        counts = [len(b) for b in boxes_list]
        if self.reid_branch == 'roialign':
            return list(self._embed_rois(reid_feats, boxes, img_inds).split(counts))
        priors = cat_boxes(
            self.prior_generator.grid_priors(
                featmap_sizes, dtype=boxes.dtype, device=boxes.device))
        rows = self._anchor_rows(reid_feats, self.reid_channels)
        deltas = self._anchor_rows(bbox_preds, self.bbox_coder.encode_size)
        anchor_feats = []
        for img_id, (img_boxes,
                     img_meta) in enumerate(zip(boxes_list, batch_img_metas)):
            if len(img_boxes) == 0:
                continue
            ref_boxes = priors
            if self.query_match == 'predicted':
                ref_boxes = self.bbox_coder.decode(
                    priors, deltas[img_id], max_shape=img_meta['img_shape'])
            anchor_feats.append(
                self._cluster_mean(
                    img_boxes.to(boxes.dtype), get_box_tensor(ref_boxes), rows[img_id],
                    self.query_iou))
        if not anchor_feats:
            return [boxes.new_zeros(0, self.reid_channels) for _ in boxes_list]
        embeddings = self._embed(torch.cat(anchor_feats), boxes, img_inds, reid_feats)
        return list(embeddings.split(counts))
