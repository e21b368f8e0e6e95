"""ResNet re-ID baseline with a BNNeck (the re-ID network of RDLR)."""
import warnings
from typing import Any, Dict, List, Optional, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmdet.registry import MODELS
from torch import Tensor

from .base_crop_reid import BaseCropReID


@MODELS.register_module()
class BNNeckReID(BaseCropReID):
    """The "strong baseline" re-ID network that RDLR (Han et al., ICCV 2019,
    Sec. 4.2) trains on person crops and then freezes: a ResNet whose last
    stage keeps stride 1, global average pooling, a BNNeck and a bias-free
    identity classifier (Luo et al., "Bag of tricks", CVPRW 2019).

    - the pooled feature f_t (before the BN) takes the batch-hard triplet
      loss (mmdet ``TripletLoss``, margin 0.3);
    - the BNNeck (``BatchNorm1d`` without a learnt shift) gives f_i, whose
      logits take the label-smoothed (0.1) cross entropy;
    - the embedding is f_i, L2-normalised.

    mmdet's ``CrossEntropyLoss`` has no label smoothing and mmdet's
    ``LinearReIDHead`` needs mmpretrain, so the cross entropy is torch's
    (``label_smoothing``). :meth:`normalized_features`,
    :meth:`embed_normalized` (patches cut from a detector's normalised input)
    and :meth:`classification_loss` let RDLR's searcher reuse the frozen
    network and its own loss on detected crops.

    The backbone initialises by its ``init_cfg`` (ImageNet weights by URL
    in the configs). ``num_person_ids=None`` builds a classifier without
    rows that takes its size from the first state dict loaded (inference)
    and is filled from the training data by
    :func:`mmps.utils.fill_num_person_ids`.

    Args:
        backbone (dict): CNN config whose last output is the feature map.
            Defaults to mmdet's ResNet-50 with conv5 at stride 1.
        in_channels (int): Channels C of that map. Defaults to 2048.
        num_person_ids (int, optional): Classifier width (labelled
            identities of the training data). Defaults to None (no rows
            until filled or loaded).
        label_smooth (float): Label smoothing epsilon of the cross entropy.
            Defaults to 0.1.
        loss_cls_weight (float): Weight of the cross entropy; 0 leaves it
            out. Defaults to 1.0.
        loss_triplet (dict, optional): Config of the triplet loss on f_t,
            called as ``loss(feats, labels)``; None leaves it out. Defaults
            to mmdet's ``TripletLoss(margin=0.3)``.
        **kwargs: Arguments of :class:`BaseCropReID` (``crop_cfg``, mean,
            std, ``init_cfg``, ...).

    Examples:
        >>> import torch
        >>> from mmps.models.reid import BNNeckReID
        >>> model = BNNeckReID(
        ...     backbone=dict(type='ResNet', depth=18, strides=(1, 2, 2, 1),
        ...                   out_indices=(3, )),
        ...     in_channels=512, num_person_ids=3,
        ...     crop_cfg=dict(size=(64, 32))).eval()
        >>> model.embed(torch.rand(2, 3, 64, 32) * 255, None).shape
        torch.Size([2, 512])
    """

    def __init__(self,
                 backbone: dict = dict(
                     type='ResNet', depth=50, strides=(1, 2, 2, 1), out_indices=(3, )),
                 in_channels: int = 2048,
                 num_person_ids: Optional[int] = None,
                 label_smooth: float = 0.1,
                 loss_cls_weight: float = 1.0,
                 loss_triplet: Optional[dict] = dict(type='TripletLoss', margin=0.3),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.backbone = MODELS.build(backbone)
        self.in_channels = in_channels
        self.bnneck = nn.BatchNorm1d(in_channels)
        self.bnneck.bias.requires_grad_(False)
        num_rows = 0 if num_person_ids is None else num_person_ids
        with warnings.catch_warnings():  # a 0-row classifier: nothing to init
            warnings.simplefilter('ignore', UserWarning)
            self.classifier = nn.Linear(in_channels, num_rows, bias=False)
        # BNNeck starts as the identity, the classifier small (the baseline's
        # initialisation); set here, so a Pretrained init_cfg overrides them
        if num_rows:
            nn.init.normal_(self.classifier.weight, std=0.001)
        self.label_smooth = label_smooth
        self.loss_cls_weight = loss_cls_weight
        self.loss_triplet = MODELS.build(loss_triplet) if loss_triplet else None
        if not loss_cls_weight and self.loss_triplet is None:
            raise ValueError('BNNeckReID has no loss: set loss_cls_weight > 0 or '
                             'loss_triplet')

    @property
    def num_person_ids(self) -> int:
        """Width of the identity classifier."""
        return self.classifier.out_features

    def features(self, patches: Tensor) -> Tuple[Tensor, Tensor]:
        """The pooled feature and its BNNeck output of raw patches.

        Args:
            patches (Tensor): Raw patches (BGR pixels), shape (N, 3, h, w).

        Returns:
            tuple[Tensor, Tensor]: f_t and f_i, each of shape (N, C).
        """
        return self.normalized_features(self.normalize(patches))

    def normalized_features(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
        """The pooled feature and its BNNeck output of patches that are
        already normalised with this network's :attr:`normalization` (cut
        from a detector's normalised input, as RDLR does).

        Args:
            inputs (Tensor): Normalised patches, shape (N, 3, h, w).

        Returns:
            tuple[Tensor, Tensor]: f_t and f_i, each of shape (N, C).
        """
        feat_map = self.backbone(inputs)[-1]
        pooled = F.adaptive_avg_pool2d(feat_map, 1).flatten(1)
        return pooled, self.bnneck(pooled)

    def embed(self, patches: Tensor, masks: Optional[Tensor] = None) -> Tensor:
        """Embed raw patches: f_i, L2-normalised.

        Args:
            patches (Tensor): Raw patches, shape (N, 3, h, w).
            masks (Tensor, optional): Unused (no masks).

        Returns:
            Tensor: Shape (N, C).
        """
        return self.embed_normalized(self.normalize(patches))

    def embed_normalized(self,
                         inputs: Tensor,
                         masks: Optional[Tensor] = None) -> Tensor:
        """Embed already normalised patches (see
        :meth:`normalized_features`): f_i, L2-normalised.

        Args:
            inputs (Tensor): Normalised patches, shape (N, 3, h, w).
            masks (Tensor, optional): Unused (no masks).

        Returns:
            Tensor: Shape (N, C).
        """
        return F.normalize(self.normalized_features(inputs)[1], dim=1)

    def classification_loss(self, bn_feats: Tensor, person_ids: Tensor) -> Tensor:
        """Label-smoothed cross entropy of the classifier on f_i.

        Args:
            bn_feats (Tensor): f_i, shape (N, C).
            person_ids (Tensor): Labels in ``[0, num_person_ids)``, shape (N,).

        Returns:
            Tensor: Mean loss, unweighted (zero, attached to ``bn_feats``,
            for N = 0).
        """
        if self.num_person_ids == 0:
            raise RuntimeError('BNNeckReID has no classifier rows: set num_person_ids '
                               '(mmps.utils.fill_num_person_ids does it)')
        if person_ids.numel() == 0:
            return bn_feats.sum() * 0
        logits = self.classifier(bn_feats)
        return F.cross_entropy(logits, person_ids, label_smoothing=self.label_smooth)

    def loss(self, patches: Tensor, masks: Optional[Tensor],
             person_ids: Tensor) -> Dict[str, Tensor]:
        """Cross entropy on f_i and triplet loss on f_t of the labelled
        patches (a batch of PK-sampled crops).

        Args:
            patches (Tensor): Raw patches, shape (N, 3, h, w).
            masks (Tensor, optional): Unused.
            person_ids (Tensor): Identities, shape (N,), -1 unlabelled
                (no loss).

        Returns:
            dict[str, Tensor]: ``loss_reid_cls`` and/or ``loss_reid_tri``.
        """
        pooled, bn_feats = self.features(patches)
        labelled = person_ids >= 0
        losses = {}
        if self.loss_cls_weight:
            losses['loss_reid_cls'] = self.loss_cls_weight * self.classification_loss(
                bn_feats[labelled], person_ids[labelled])
        if self.loss_triplet is not None:
            ids = person_ids[labelled]
            if ids.unique().numel() > 1:
                losses['loss_reid_tri'] = self.loss_triplet(pooled[labelled], ids)
            else:  # no negative in the batch
                losses['loss_reid_tri'] = pooled.sum() * 0
        return losses

    def _load_from_state_dict(self, state_dict: Dict[str, Any], prefix: str,
                              local_metadata: Dict, strict: bool,
                              missing_keys: List[str], unexpected_keys: List[str],
                              error_msgs: List[str]) -> None:
        """Let a classifier without rows take the width of the loaded one."""
        weight = state_dict.get(prefix + 'classifier.weight')
        if weight is not None and self.num_person_ids == 0 and weight.dim() == 2:
            self.classifier = nn.Linear(
                self.in_channels, weight.shape[0],
                bias=False).to(self.bnneck.weight.device)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)
