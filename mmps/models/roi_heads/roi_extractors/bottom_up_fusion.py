"""Bottom-up fusion (BUF) of RoI features pooled from several levels."""
from typing import List, Sequence, Tuple

import torch
from mmdet.models.backbones import ResNet
from mmdet.models.layers import ResLayer
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig
from mmengine.model import BaseModule, ModuleList
from torch import Tensor


@MODELS.register_module()
class BottomUpFusion(BaseModule):
    """Pool RoI features from several backbone levels and fuse them bottom
    up (Sec. 4.3 of BUFF, Yang et al., ACM MM 2020).

    With ``F^l`` the RoI feature of level ``l``, fusion starts at the
    lowest level read and climbs to the last backbone level: the running
    feature goes through the transform ``T_l`` of each level above it, and
    where level ``l`` is read it is merged with ``F^l`` by element-wise
    max. ``T_l`` is one residual block shaped like the first block of ResNet
    stage ``l`` (channels ``in_channels[l-1] -> in_channels[l]``, stride
    ``transform_strides[l-1]``), its own copy, not shared with the detector.
    With a single level read, its feature only climbs through the
    transforms (the single-level BUF variants of Fig. 4); reading only the
    last level gives the baseline (no transform).

    RoI sizes: the last level is pooled at ``out_size`` and every lower
    level at the size of the level above times the stride of the transform
    between them, so that the shapes match through the transforms. For
    ResNet-50 conv1..conv4 (strides 2, 4, 8, 16), ``out_size=(14, 7)`` and
    ``transform_strides=(1, 2, 2)`` (the first blocks of torchvision's
    layer1, layer2, layer3): conv4 14x7, conv3 28x14, conv2 56x28,
    conv1 56x28.

    Transforms are registered as ``layer{l}``, the torchvision name of the
    ResNet stage producing level ``l`` of a conv1..conv4 backbone, so that
    a ``Pretrained`` init_cfg with torchvision's ImageNet ResNet-50 state
    dict (the configs give its download URL) copies the ImageNet first
    blocks into them (other keys are ignored).

    Args:
        in_indices (Sequence[int]): Levels read, increasing (0 = conv1,
            ..., 3 = conv4 for a :class:`ResNetWithStem` output).
        in_channels (Sequence[int]): Channels of every backbone level.
            Defaults to ResNet-50 conv1..conv4.
        featmap_strides (Sequence[int]): Stride of every backbone level
            (checked against the maps by
            :meth:`BUFFRoIHead.check_featmap_strides`).
        out_size (tuple[int, int]): RoI size (h, w) of the last level, and
            the size of the fused feature.
        transform_strides (Sequence[int]): Stride of the transform into
            level ``l``, for ``l = 1 .. L-1``.
        depth (int): ResNet depth whose block type the transforms use
            (18/34: BasicBlock; 50/101/152: Bottleneck).
        roi_layer (dict): RoI layer config, without ``output_size``.
        norm_cfg (dict): Normalisation of the transforms.
        init_cfg (dict or list[dict], optional): Initialisation config.
    """

    def __init__(self,
                 in_indices: Sequence[int] = (0, 1, 2, 3),
                 in_channels: Sequence[int] = (64, 256, 512, 1024),
                 featmap_strides: Sequence[int] = (2, 4, 8, 16),
                 out_size: Tuple[int, int] = (14, 7),
                 transform_strides: Sequence[int] = (1, 2, 2),
                 depth: int = 50,
                 roi_layer: ConfigType = dict(type='RoIAlign', sampling_ratio=0),
                 norm_cfg: ConfigType = dict(type='BN', requires_grad=True),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        num_levels = len(in_channels)
        assert len(featmap_strides) == num_levels
        assert len(transform_strides) == num_levels - 1
        assert list(in_indices) == sorted(set(in_indices)) and \
            0 <= in_indices[0] and in_indices[-1] < num_levels, \
            f'in_indices must increase within the levels, got {in_indices}'
        self.in_indices = tuple(in_indices)
        self.featmap_strides = tuple(featmap_strides)
        self.num_levels = num_levels
        self.out_channels = in_channels[-1]

        sizes = [tuple(out_size)]
        for stride in reversed(transform_strides):
            sizes.insert(0, tuple(s * stride for s in sizes[0]))
        self.roi_sizes = sizes
        self.roi_extractors = ModuleList()
        for level in self.in_indices:
            layer = dict(roi_layer, output_size=sizes[level])
            self.roi_extractors.append(
                MODELS.build(
                    dict(
                        type='SingleRoIExtractor',
                        roi_layer=layer,
                        out_channels=in_channels[level],
                        featmap_strides=[featmap_strides[level]])))

        block = ResNet.arch_settings[depth][0]
        for level in range(self.in_indices[0] + 1, num_levels):
            self.add_module(
                f'layer{level}',
                ResLayer(
                    block,
                    inplanes=in_channels[level - 1],
                    planes=in_channels[level] // block.expansion,
                    num_blocks=1,
                    stride=transform_strides[level - 1],
                    norm_cfg=norm_cfg,
                    style='pytorch'))

    def transform(self, level: int) -> ResLayer:
        """The transform ``T`` into ``level`` (from ``level - 1``)."""
        return getattr(self, f'layer{level}')

    def pool(self, x: Sequence[Tensor], rois: Tensor) -> List[Tensor]:
        """RoI features of the levels read.

        Args:
            x (Sequence[Tensor]): Every backbone level, level ``l`` of shape
                (B, in_channels[l], H_l, W_l).
            rois (Tensor): RoIs (batch index, x1, y1, x2, y2) in the network
                input frame, shape (N, 5).

        Returns:
            list[Tensor]: One (N, in_channels[l], *roi_sizes[l]) tensor per
            level of ``in_indices``.
        """
        return [
            extractor([x[level]], rois)
            for level, extractor in zip(self.in_indices, self.roi_extractors)
        ]

    def fuse(self, feats: Sequence[Tensor]) -> Tensor:
        """Fuse the pooled features bottom up.

        Args:
            feats (Sequence[Tensor]): Output of :meth:`pool`.

        Returns:
            Tensor: Fused RoI features, shape (N, in_channels[-1],
            *out_size).
        """
        by_level = dict(zip(self.in_indices, feats))
        fused = feats[0]
        for level in range(self.in_indices[0] + 1, self.num_levels):
            fused = self.transform(level)(fused)
            if level in by_level:
                fused = torch.max(fused, by_level[level])
        return fused

    def forward(self, x: Sequence[Tensor], rois: Tensor) -> Tensor:
        """Pool and fuse (see :meth:`pool` and :meth:`fuse`)."""
        return self.fuse(self.pool(x, rois))
