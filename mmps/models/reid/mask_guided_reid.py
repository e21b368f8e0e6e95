"""Mask-Guided Two-Stream re-ID network of MGTS (Chen et al., ECCV 2018)."""
import copy
from typing import Dict, List, Optional, Sequence

import torch.nn as nn
from mmdet.registry import MODELS
from torch import Tensor

from ..layers.se_fusion import SEFusion
from ..utils.foreground_separation import separate_foreground
from .base_crop_reid import BaseCropReID

STREAMS = ('F', 'O', 'B')
MASKED_STREAMS = ('F', 'B')


@MODELS.register_module()
class MaskGuidedReID(BaseCropReID):
    """MGTS's re-ID network (Sec. 3.3): one CNN per input stream, the two
    streams' conv5 maps fused by a squeeze-and-excitation block (Eq. 1),
    GAP, a bias-free projection to d dimensions and L2 normalisation
    (Eq. 2), trained with OIM (Eq. 3-4) on ground-truth crops.

    The streams are built from the raw patch O and its foreground mask m
    (Algorithm 1, :mod:`mmps.models.utils.foreground_separation`):
    'F' = O * m, 'O' = O, 'B' = O * (1 - m), each normalised afterwards, so
    the masked-out pixels are black. Table 4's single-stream rows use one
    stream and no fusion; the full model ('F', 'O') concatenates F then O.

    Args:
        streams (Sequence[str]): One or two of 'F', 'O', 'B', in order.
            Defaults to ('F', 'O').
        backbone (dict): Config of one stream's CNN, whose last output is
            the stream's map; each stream builds its own copy (no shared
            weights). Defaults to mmdet's ResNet-50 up to conv5.
        reid_head (dict): Config of the embedding head; its
            ``in_channels`` must equal the streams' channels in all.
            Defaults to ``ReIDEmbeddingHead(in_channels=4096,
            embed_dim=128, bias=False)`` (Eq. 2).
        se_ratio (int): Squeeze ratio of the fusion (two streams). Defaults
            to 16.
        **kwargs: Arguments of :class:`BaseCropReID` (``crop_cfg``, mean,
            std, ...).
    """

    def __init__(self,
                 streams: Sequence[str] = ('F', 'O'),
                 backbone: dict = dict(type='ResNet', depth=50, out_indices=(3, )),
                 reid_head: dict = dict(
                     type='ReIDEmbeddingHead',
                     in_channels=4096,
                     embed_dim=128,
                     bias=False),
                 se_ratio: int = 16,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        streams = tuple(streams)
        if not 1 <= len(streams) <= 2 or len(
                set(streams)) != len(streams) or not set(streams) <= set(STREAMS):
            raise ValueError(f'streams must be one or two distinct of {STREAMS}, e.g. '
                             f"('F', 'O') or ('O',); got {streams}")
        for stream in streams:
            if stream in MASKED_STREAMS:
                self.require_masks(f"stream '{stream}'")
        self.streams = streams
        self.backbones = nn.ModuleDict(
            {stream: MODELS.build(copy.deepcopy(backbone))
             for stream in streams})
        channels = self.backbones[streams[0]].feat_dim
        self.fusion = SEFusion(channels, se_ratio) if len(streams) == 2 else None
        self.reid_head = MODELS.build(reid_head)
        if self.reid_head.in_channels != channels * len(streams):
            raise ValueError(
                f'reid_head.in_channels is {self.reid_head.in_channels} but '
                f'{len(streams)} stream(s) of {channels} channels give '
                f'{channels * len(streams)}: set reid_head.in_channels to it')

    def extract_feat(self, patches: Tensor, masks: Optional[Tensor]) -> Tensor:
        """The fused map F' (two streams) or the one stream's map.

        Args:
            patches (Tensor): Raw patches O, shape (N, 3, h, w).
            masks (Tensor, optional): Foreground masks m, shape
                (N, 1, h, w) in {0, 1}; needed for 'F' and 'B'.

        Returns:
            Tensor: Shape (N, C * num_streams, h/32, w/32).
        """
        feats = self.stream_feats(patches, masks)
        return self.fusion(*feats) if self.fusion is not None else feats[0]

    def stream_feats(self, patches: Tensor, masks: Optional[Tensor]) -> List[Tensor]:
        """Each stream's conv5 map, before fusion (for analysis, Fig. 6).

        Args:
            patches (Tensor): Raw patches O, shape (N, 3, h, w).
            masks (Tensor, optional): Foreground masks, shape (N, 1, h, w).

        Returns:
            list[Tensor]: One (N, C, h/32, w/32) map per stream, in order.
        """
        inputs = separate_foreground(patches, masks, self.streams)
        return [
            self.backbones[stream](self.normalize(x))[-1]
            for stream, x in zip(self.streams, inputs)
        ]

    def embed(self, patches: Tensor, masks: Optional[Tensor]) -> Tensor:
        """Embed patches (Eq. 2).

        Args:
            patches (Tensor): Raw patches, shape (N, 3, h, w).
            masks (Tensor, optional): Foreground masks, shape (N, 1, h, w).

        Returns:
            Tensor: L2-normalised embeddings, shape (N, D).
        """
        return self.reid_head(self.extract_feat(patches, masks))

    def loss(self, patches: Tensor, masks: Optional[Tensor],
             person_ids: Tensor) -> Dict[str, Tensor]:
        """OIM loss of a batch of ground-truth crops (Eq. 3-4).

        Args:
            patches (Tensor): Raw patches, shape (N, 3, h, w).
            masks (Tensor, optional): Foreground masks, shape (N, 1, h, w).
            person_ids (Tensor): Identities, shape (N,), -1 unlabelled.

        Returns:
            dict[str, Tensor]: ``{loss_reid.loss_name: loss}``.
        """
        return self.reid_head.loss(self.extract_feat(patches, masks), person_ids)
