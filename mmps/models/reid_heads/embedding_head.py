"""Identity embedding branch of two-stage person search models."""
from typing import Dict, Optional

import torch.nn as nn
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor


@MODELS.register_module()
class ReIDEmbeddingHead(BaseModule):
    """Global average pooling, an optional linear projection and L2
    normalisation: the re-ID branch of OIM, beside the box classifier and
    regressor.

    Args:
        in_channels (int): Channels C of the RoI features. Defaults to 2048
            (ResNet conv5).
        embed_dim (int, optional): Embedding dimension D. Defaults to 256
            (OIM). None leaves out the projection: the pooled features,
            L2-normalised, are the embedding (D = C, e.g. BUFF's 2048-d
            conv5 feature).
        loss_reid (dict, optional): Config of the identity loss, called as
            ``loss(embeddings, person_ids)``. Defaults to ``OIMLoss``.
        bias (bool): Whether the projection has a bias. Defaults to True
            (OIM, BUFF); MGTS's Eq. 2 projects without one.
        init_cfg (dict or list[dict], optional): Initialisation config.
    """

    def __init__(
        self,
        in_channels: int = 2048,
        embed_dim: Optional[int] = 256,
        loss_reid: Optional[ConfigType] = dict(type='OIMLoss'),
        bias: bool = True,
        init_cfg: OptMultiConfig = dict(type='Normal', std=0.01, layer='Linear')
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.embed_dim = in_channels if embed_dim is None else embed_dim
        self.fc = nn.Linear(
            in_channels, embed_dim, bias=bias) if embed_dim is not None else None
        self.loss_reid = MODELS.build(loss_reid) if loss_reid else None

    def forward(self, feats: Tensor) -> Tensor:
        """Embed RoI features.

        Args:
            feats (Tensor): RoI features, shape (N, C, H, W).

        Returns:
            Tensor: L2-normalised embeddings, shape (N, D).
        """
        pooled = F.adaptive_avg_pool2d(feats, 1).flatten(1)
        if self.fc is not None:
            pooled = self.fc(pooled)
        return F.normalize(pooled, dim=1)

    def loss(self, feats: Tensor, person_ids: Tensor) -> Dict[str, Tensor]:
        """Embed the RoI features of proposals assigned to persons and
        compute the identity loss.

        Args:
            feats (Tensor): RoI features of the person proposals, shape
                (N, C, H, W).
            person_ids (Tensor): Identity of the assigned ground truth of
                each proposal, shape (N,): ``>= 0`` labelled, -1 unlabelled.

        Returns:
            dict[str, Tensor]: ``{loss_reid.loss_name: loss}``.
        """
        embeddings = self(feats)
        return {self.loss_reid.loss_name: self.loss_reid(embeddings, person_ids)}
