"""Re-ID driven localization refinement (RDLR, Han et al., ICCV 2019)."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.detectors import SingleStageDetector, TwoStageDetector
from mmdet.models.utils import select_single_mlvl, unpack_gt_instances
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox_overlaps, get_box_tensor
from mmengine.model import BaseDataPreprocessor
from mmengine.structures import InstanceData
from torch import Tensor

from mmps.utils.compose_checkpoint import PART_REVISE_KEYS
from mmps.utils.strict_checkpoint import load_state_dict_matching, read_checkpoint
from ..layers.affine_grid_cropper import AffineGridCropper
from ..reid.base_crop_reid import BaseCropReID
from .two_step_searcher import TwoStepSearcher


def preprocessor_normalization(preprocessor: BaseDataPreprocessor) -> dict:
    """How a detector's ``data_preprocessor`` normalises raw images, in the
    terms of :attr:`BaseCropReID.normalization`.

    Args:
        preprocessor (BaseDataPreprocessor): An mmengine
            ``ImgDataPreprocessor`` (mmdet's ``DetDataPreprocessor``), or a
            preprocessor that does not normalise.

    Returns:
        dict: ``mean``, ``std`` (3 floats each; 0 and 1 when it does not
        normalise) and ``bgr_to_rgb`` (whether it swaps the channels).
    """
    if getattr(preprocessor, '_enable_normalize', False):
        mean = tuple(preprocessor.mean.flatten().tolist())
        std = tuple(preprocessor.std.flatten().tolist())
    else:
        mean, std = (0.0, ) * 3, (1.0, ) * 3
    return dict(
        mean=mean,
        std=std,
        bgr_to_rgb=bool(getattr(preprocessor, '_channel_conversion', False)))


def check_shared_normalization(detector: nn.Module, reid: BaseCropReID) -> None:
    """Refuse a detector and a re-ID network that normalise differently, or
    a detector input whose padding is not the mean colour: RDLR cuts the
    re-ID patches out of the detector's normalised input.

    Args:
        detector (nn.Module): An mmdet detector with its ``data_preprocessor``.
        reid (BaseCropReID): The re-ID network.

    Raises:
        ValueError: The mean, std or channel order differ (the message
            names both), or the detector pads with a value other than 0.
    """

    def text(norm: dict) -> str:
        mean = tuple(round(v, 4) for v in norm['mean'])
        std = tuple(round(v, 4) for v in norm['std'])
        return f'mean={mean}, std={std}, bgr_to_rgb={norm["bgr_to_rgb"]}'

    det = preprocessor_normalization(detector.data_preprocessor)
    own = reid.normalization
    same = det['bgr_to_rgb'] == own['bgr_to_rgb'] and all(
        torch.allclose(torch.tensor(det[key]), torch.tensor(own[key]), atol=1e-4)
        for key in ('mean', 'std'))
    if not same:
        raise ValueError(
            'detector and re-ID normalisations differ: model.detector.data_'
            f'preprocessor has {text(det)} but model.reid has {text(own)}; RDLR '
            'crops the detector\'s normalised input, so set model.reid.mean, '
            'model.reid.std and model.reid.bgr_to_rgb to the detector\'s (and '
            'pretrain the re-ID network with them)')
    pad_value = getattr(detector.data_preprocessor, 'pad_value', 0)
    if pad_value != 0:
        raise ValueError(
            f'model.detector.data_preprocessor pads with {pad_value}, but RDLR '
            'crops its normalised input, where padding must read 0 (the mean '
            'colour, as samples outside the image): set pad_value=0')


@MODELS.register_module()
class RDLRSearcher(TwoStepSearcher):
    """A two-step searcher whose detector is refined by the re-ID loss of a
    fixed re-ID network (RDLR, Sec. 3.2): the detector's box-regression loss
    is replaced by the re-ID losses of its own detections, cut out of the
    image by a crop that is differentiable w.r.t. the boxes
    (:class:`~mmps.models.layers.AffineGridCropper`, RDLR's RoI transform).

    :meth:`loss`:

    1. the detector's features, once; its own losses minus
       ``drop_det_losses`` (the regression of the boxes that are cropped;
       the RPN keeps its losses, its proposals are detached);
    2. with gradients on, the detection head's ``predict`` (``rescale=
       False``) on those features (a two-stage detector: on step 1's
       proposals), boxes scoring at least ``score_thr``: the kept boxes stay
       attached to the regression outputs;
    3. each box takes the ground truth of highest IoU if that IoU is at
       least ``match_iou`` and the ground truth is labelled; the other boxes
       get no re-ID loss;
    4. the matched boxes are cropped and embedded by the frozen re-ID
       network: ``loss_reid_cls`` (its own label-smoothed classifier on the
       BNNeck feature) and ``loss_proxy_tri`` (:class:`ProxyTripletLoss` on
       the L2-normalised embedding);
    5. without a match, both are zeros still attached to the boxes (DDP
       needs no ``find_unused_parameters``); the proxy loss is still
       called, without anchors, so that every rank joins its table's
       all-gather.

    The re-ID network (a :class:`~mmps.models.reid.BNNeckReID`) is frozen
    (``requires_grad=False``) and held in eval mode through
    :meth:`train`, so its BN statistics never move.

    One normalisation: refinement crops, gallery detections and
    query boxes are all cut (:meth:`crop_patches`, with the re-ID network's
    ``crop_cfg``) from the detector's input as the detector sees it, after
    ``Resize`` and its ``data_preprocessor``: normalised and padded, so
    padding and samples outside the image read 0, the mean colour. The
    re-ID network embeds these patches as they are
    (``BNNeckReID.embed_normalized``), so it must normalise as the
    detector does (mean, std, channel order; checked at build, see
    :func:`check_shared_normalization`). Inside the image such a patch is
    the re-ID network's normalisation of the raw crop it was pretrained on
    (bilinear sampling commutes with a per-channel affine map); only
    samples outside the image differ (the mean colour, where
    ``CropPersonPatch`` reads black).

    Both pretrained parts are read by :meth:`init_weights`, strictly (every
    key, every shape): the detector from an mmdet training checkpoint, the
    re-ID network from the re-ID step (``TwoStepSearcher(detector=None)``,
    keys under ``reid.``) or a bare network.

    Args:
        reid (dict): Config of a :class:`~mmps.models.reid.BNNeckReID`.
        detector (dict): Config of an mmdet two-stage or single-stage
            detector (``num_classes=1``). Required: None is an error.
        detector_checkpoint (str): The pretrained detector. Required: None
            or '' is an error naming it.
        reid_checkpoint (str): The pretrained re-ID network. Required: None
            or '' is an error naming it.
        loss_proxy_tri (dict, optional): Config of the proxy triplet loss;
            None leaves it out (Table 5, L_cls). Defaults to
            ``ProxyTripletLoss(num_features=2048)``.
        loss_reid_cls_weight (float): Weight of the re-ID network's
            classification loss; 0 leaves it out (Table 5, L_tri; a re-ID
            network of another dataset, Sec. 3.3). Defaults to 1.0.
        num_person_ids (int, optional): Labelled identities of the training
            data (filled by :func:`mmps.utils.fill_num_person_ids`); with
            ``loss_reid_cls_weight > 0`` the re-ID classifier must have as
            many rows. Defaults to None (not checked).
        drop_det_losses (Sequence[str]): Detector losses left out.
            Defaults to ``('loss_bbox',)`` (R-CNN's or RetinaNet's
            regression).
        match_iou (float): Lowest IoU of a detection with its ground truth.
            Defaults to 0.5.
        **kwargs: Arguments of :class:`TwoStepSearcher` (``score_thr``,
            ``crop_batch``, ``data_preprocessor``, ``init_cfg``).

    Raises:
        ValueError: No detector, a checkpoint missing, both re-ID losses
            off, masks configured, a classifier width other than
            ``num_person_ids`` with L_cls on, or the detector and re-ID
            normalisations differ.
        TypeError: A detector that is neither two- nor single-stage, or a
            re-ID network without BNNeck and classifier.
    """

    def __init__(self,
                 reid: dict,
                 detector: Optional[dict] = None,
                 detector_checkpoint: Optional[str] = None,
                 reid_checkpoint: Optional[str] = None,
                 loss_proxy_tri: Optional[dict] = dict(
                     type='ProxyTripletLoss', num_features=2048),
                 loss_reid_cls_weight: float = 1.0,
                 num_person_ids: Optional[int] = None,
                 drop_det_losses: Sequence[str] = ('loss_bbox', ),
                 match_iou: float = 0.5,
                 **kwargs) -> None:
        if detector is None:
            raise ValueError('RDLRSearcher refines a detector: set model.detector '
                             '(to embed GT boxes use TwoStepSearcher)')
        for name, path, what in (('detector_checkpoint', detector_checkpoint,
                                  'the pretrained detector (rdlr_det_* config)'),
                                 ('reid_checkpoint', reid_checkpoint,
                                  'the pretrained re-ID network (rdlr_reid_* config)')):
            if not path:
                raise ValueError(f'RDLRSearcher refines a pretrained detector with a '
                                 f'pretrained re-ID network: {name} is missing, set '
                                 f'model.{name} to the checkpoint of {what}')
        if loss_proxy_tri is None and not loss_reid_cls_weight:
            raise ValueError('RDLRSearcher needs a re-ID loss: set loss_proxy_tri or '
                             'loss_reid_cls_weight > 0 (both are off)')
        super().__init__(reid=reid, detector=detector, **kwargs)
        if not isinstance(self.detector, (TwoStageDetector, SingleStageDetector)):
            raise TypeError('RDLRSearcher refines a two-stage or single-stage mmdet '
                            f'detector, got {type(self.detector).__name__}')
        if not all(
                hasattr(self.reid, name)
                for name in ('normalized_features', 'embed_normalized',
                             'classification_loss')):
            raise TypeError('RDLRSearcher needs a re-ID network with a BNNeck and '
                            f'classifier (BNNeckReID), got {type(self.reid).__name__}')
        check_shared_normalization(self.detector, self.reid)
        if self.crop_cfg.mask is not None:
            raise ValueError('RDLRSearcher crops without masks: set '
                             'model.reid.crop_cfg.mask=None')
        if loss_reid_cls_weight and num_person_ids is not None \
                and self.reid.num_person_ids not in (0, num_person_ids):
            raise ValueError(
                f'the re-ID classifier has {self.reid.num_person_ids} rows but the '
                f'training data has num_person_ids={num_person_ids} identities: '
                'L_cls needs the re-ID network of this dataset; for a re-ID network '
                'of another dataset use L_tri only (loss_reid_cls_weight=0)')
        self.detector_checkpoint = detector_checkpoint
        self.reid_checkpoint = reid_checkpoint
        self.loss_proxy_tri = MODELS.build(loss_proxy_tri) if loss_proxy_tri else None
        self.loss_reid_cls_weight = loss_reid_cls_weight
        self.num_person_ids = num_person_ids
        self.drop_det_losses = tuple(drop_det_losses)
        self.match_iou = match_iou
        self.cropper = AffineGridCropper(self.crop_cfg.size, self.crop_cfg.expand_ratio)
        self.reid.requires_grad_(False)
        self.reid.eval()

    def train(self, mode: bool = True) -> 'RDLRSearcher':
        """Set the mode; the re-ID network stays in eval mode.

        Args:
            mode (bool): Training mode. Defaults to True.

        Returns:
            RDLRSearcher: self.
        """
        super().train(mode)
        self.reid.eval()
        return self

    def init_weights(self) -> None:
        """Load the pretrained detector and re-ID network, each strictly.

        Raises:
            FileNotFoundError: A checkpoint file is missing.
            CheckpointError: A checkpoint does not match its part.
        """
        for part, path in (('detector', self.detector_checkpoint),
                           ('reid', self.reid_checkpoint)):
            load_state_dict_matching(
                getattr(self, part),
                read_checkpoint(path),
                path,
                f'model.{part} of RDLRSearcher',
                revise_keys=PART_REVISE_KEYS[part],
                advice=f'Set model.{part}_checkpoint to a checkpoint of the '
                f'{part} this config describes')
        self._is_init = True

    def detector_losses(
            self, feats: Tuple[Tensor, ...], batch_data_samples: SampleList
    ) -> Tuple[Dict[str, Tensor], List[InstanceData]]:
        """Step 1 and 2: the detector's losses (minus ``drop_det_losses``)
        and its detections, attached to the regression outputs.

        Args:
            feats (tuple[Tensor]): The detector's features.
            batch_data_samples (list[DetDataSample]): Samples with
                ``gt_instances`` in the input frame.

        Returns:
            tuple: The losses and, per image, ``InstanceData`` with
            ``bboxes`` (N_i, 4) (input frame) and ``scores`` (N_i,),
            scores at least ``score_thr``.
        """
        detector = self.detector
        if isinstance(detector, TwoStageDetector):
            losses = {}
            # the RPN is class-agnostic (as TwoStageDetector.loss)
            rpn_samples = copy.deepcopy(batch_data_samples)
            for sample in rpn_samples:
                sample.gt_instances.labels = torch.zeros_like(
                    sample.gt_instances.labels)
            proposal_cfg = detector.train_cfg.get('rpn_proposal', detector.test_cfg.rpn)
            rpn_losses, rpn_results = detector.rpn_head.loss_and_predict(
                feats, rpn_samples, proposal_cfg=proposal_cfg)
            for key, value in rpn_losses.items():
                losses[key if 'rpn' in key or 'loss' not in
                       key else f'rpn_{key}'] = value
            # the RoI head's loss renames the proposals' boxes: keep a copy,
            # detached (no re-ID gradient reaches the RPN)
            proposals = [InstanceData(bboxes=r.bboxes.detach()) for r in rpn_results]
            losses.update(
                detector.roi_head.loss(feats, rpn_results, batch_data_samples))
            detections = detector.roi_head.predict(
                feats, proposals, batch_data_samples, rescale=False)
        else:
            head = detector.bbox_head
            outs = head(feats)
            gt_instances, gt_ignore, img_metas = unpack_gt_instances(batch_data_samples)
            losses = head.loss_by_feat(*outs, gt_instances, img_metas, gt_ignore)
            detections = self.attached_dense_predictions(head, outs, img_metas)
        losses = {k: v for k, v in losses.items() if k not in self.drop_det_losses}
        kept = []
        for det in detections:
            keep = det.scores >= self.score_thr
            kept.append(
                InstanceData(
                    bboxes=get_box_tensor(det.bboxes)[keep], scores=det.scores[keep]))
        return losses, kept

    @staticmethod
    def attached_dense_predictions(head: nn.Module, outs: Tuple[List[Tensor], ...],
                                   img_metas: List[dict]) -> List[InstanceData]:
        """A dense head's detections with the boxes still attached to its
        regression outputs.

        mmdet's ``BaseDenseHead.predict_by_feat`` detaches every output
        before decoding (inference needs no graph); this runs its
        per-image decoding and NMS (``_predict_by_feat_single``, test
        settings, ``rescale=False``) on detached scores and attached box
        deltas.

        Args:
            head (nn.Module): An mmdet ``BaseDenseHead`` without score
                factors (RetinaNet's).
            outs (tuple[list[Tensor]]): ``head(feats)``: per-level class
                scores and box deltas.
            img_metas (list[dict]): The samples' metainfo.

        Returns:
            list[InstanceData]: ``bboxes`` (input frame), ``scores``,
            ``labels`` per image.
        """
        cls_scores, bbox_preds = outs[:2]
        priors = head.prior_generator.grid_priors(
            [score.shape[-2:] for score in cls_scores],
            dtype=cls_scores[0].dtype,
            device=cls_scores[0].device)
        return [
            head._predict_by_feat_single(
                cls_score_list=select_single_mlvl(cls_scores, i, detach=True),
                bbox_pred_list=select_single_mlvl(bbox_preds, i, detach=False),
                score_factor_list=[None] * len(cls_scores),
                mlvl_priors=priors,
                img_meta=meta,
                cfg=head.test_cfg,
                rescale=False,
                with_nms=True) for i, meta in enumerate(img_metas)
        ]

    def match(self, boxes: Tensor, gt_instances: InstanceData) -> Tensor:
        """Step 3: the person id of each detection's ground truth.

        Args:
            boxes (Tensor): Detections (N, 4), input frame.
            gt_instances (InstanceData): ``bboxes`` (G, 4) and
                ``person_ids`` (G,), -1 unlabelled.

        Returns:
            Tensor: (N,) int64, the id of the ground truth of highest IoU
            when it is at least ``match_iou``, else -1.
        """
        gt_boxes = get_box_tensor(gt_instances.bboxes).to(boxes)
        ids = boxes.new_full((len(boxes), ), -1, dtype=torch.long)
        if len(boxes) == 0 or len(gt_boxes) == 0:
            return ids
        ious, best = bbox_overlaps(boxes.detach(), gt_boxes).max(dim=1)
        matched = ious >= self.match_iou
        ids[matched] = gt_instances.person_ids.to(ids)[best[matched]]
        return ids

    def normalized_inputs(self, images: Sequence[Tensor]) -> Tensor:
        """The detector's input of raw images, as the detector sees it.

        Args:
            images (Sequence[Tensor]): Raw (3, H_i, W_i) images, input
                frame.

        Returns:
            Tensor: The normalised batch (B, 3, H, W), padded with 0 at the
            right and bottom.
        """
        return self.detector.data_preprocessor(dict(inputs=list(images)),
                                               False)['inputs']

    def crop_normalized(self, inputs: Tensor, boxes_list: List[Tensor]) -> Tensor:
        """Cut patches out of the detector's normalised input,
        differentiably w.r.t. the boxes (RoI transform, Sec. 3.1).

        Args:
            inputs (Tensor): The detector's normalised batch (B, 3, H, W).
            boxes_list (list[Tensor]): One (M_i, 4) x1y1x2y2 tensor per
                image, input frame.

        Returns:
            Tensor: Normalised patches (sum M_i, 3, h, w); padding and
            samples outside the image read 0.
        """
        return self.cropper(list(inputs), boxes_list)

    def crop_patches(self, batch_inputs: List[Tensor], boxes_list: List[Tensor],
                     batch_data_samples: SampleList) -> Tensor:
        """Cut the gallery and query patches from the detector's normalised
        input (see the class), not from the raw images.

        Args:
            batch_inputs (list[Tensor]): Raw (3, H_i, W_i) images.
            boxes_list (list[Tensor]): One (M_i, 4) tensor per image, input
                frame.
            batch_data_samples (list[DetDataSample]): The samples (unused).

        Returns:
            Tensor: Normalised patches, shape (sum M_i, 3, h, w).
        """
        return self.crop_normalized(self.normalized_inputs(batch_inputs), boxes_list)

    def embed_patches(self, patches: Tensor, masks: Optional[Tensor]) -> Tensor:
        """Embed normalised patches without normalising them again.

        Args:
            patches (Tensor): Patches of :meth:`crop_patches`, shape
                (N, 3, h, w).
            masks (Tensor, optional): None (RDLR crops without masks).

        Returns:
            Tensor: L2-normalised embeddings, shape (N, D).
        """
        return self.reid.embed_normalized(patches, masks)

    def reid_losses(self, inputs: Tensor, boxes_list: List[Tensor],
                    person_ids: Tensor) -> Dict[str, Tensor]:
        """Step 4 and 5: the frozen re-ID network's losses of the labelled
        detections.

        Args:
            inputs (Tensor): The detector's normalised batch (B, 3, H, W).
            boxes_list (list[Tensor]): Detections per image, attached to
                the regression outputs.
            person_ids (Tensor): (sum N_i,) matched ids, -1 none.

        Returns:
            dict[str, Tensor]: ``loss_reid_cls`` and/or ``loss_proxy_tri``.
        """
        offsets = [0]
        for boxes in boxes_list:
            offsets.append(offsets[-1] + len(boxes))
        labelled = person_ids >= 0
        chosen = [
            boxes[labelled[start:stop]]
            for boxes, start, stop in zip(boxes_list, offsets[:-1], offsets[1:])
        ]
        ids = person_ids[labelled]
        # zero tied to every kept box: the regression outputs are in the graph
        zero = sum(boxes.sum() for boxes in boxes_list) * 0
        if len(ids):
            patches = self.crop_normalized(inputs, chosen)
            _, bn_feats = self.reid.normalized_features(patches)
        else:
            bn_feats = zero.new_zeros((0, self.reid.in_channels))
        losses = {}
        if self.loss_reid_cls_weight:
            losses['loss_reid_cls'] = zero + self.loss_reid_cls_weight * \
                self.reid.classification_loss(bn_feats, ids)
        if self.loss_proxy_tri is not None:
            # called without anchors too: it joins the table's all-gather of
            # the other ranks
            embeddings = F.normalize(bn_feats, dim=1)  # BNNeckReID.embed_normalized
            losses[self.loss_proxy_tri.loss_name] = zero + self.loss_proxy_tri(
                embeddings, ids)
        return losses

    def loss(self, batch_inputs: Union[Tensor, Sequence[Tensor]],
             batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Refinement losses of a batch of whole images (see the class).

        Args:
            batch_inputs (Tensor | Sequence[Tensor]): Raw images (after
                ``Resize``), one (3, H_i, W_i) tensor each.
            batch_data_samples (list[DetDataSample]): Samples with
                ``gt_instances`` (``bboxes`` in the input frame,
                ``labels``, ``person_ids``).

        Returns:
            dict[str, Tensor]: The detector's kept losses, ``loss_reid_cls``
            and ``loss_proxy_tri``.
        """
        images = self.extract_feat(batch_inputs)
        inputs, samples = self.detector_inputs(images, batch_data_samples)
        feats = self.detector.extract_feat(inputs)
        losses, detections = self.detector_losses(feats, samples)
        boxes_list = [det.bboxes for det in detections]
        person_ids = torch.cat([
            self.match(boxes, sample.gt_instances)
            for boxes, sample in zip(boxes_list, samples)
        ])
        losses.update(self.reid_losses(inputs, boxes_list, person_ids))
        return losses
