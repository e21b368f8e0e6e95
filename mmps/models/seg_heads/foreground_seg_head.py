"""Foreground segmentation head trained on box-wise masks (BUFF)."""
from typing import Dict, Sequence

import torch
import torch.nn as nn
from mmdet.registry import MODELS
from mmdet.structures.bbox import get_box_tensor
from mmdet.utils import ConfigType, InstanceList, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor


@MODELS.register_module()
class ForegroundSegHead(BaseModule):
    """A 1x1 convolution that predicts, on one feature map, the
    probability of each cell lying on a person (Sec. 4.2 of BUFF, Yang et
    al., ACM MM 2020).

    The targets are weak box-wise masks, made here from the ground-truth
    boxes of the batch: a cell is foreground when its centre lies inside
    any box. This is the box mask of the network input (every box filled
    with 1) sampled at the cell centres, i.e. downsampled to the feature
    resolution by nearest neighbour; padding added by the data
    preprocessor is background. Building the masks from the boxes keeps
    them in step with resizing and flipping without a pipeline transform.

    Args:
        in_channels (int): Channels of the input feature map. Defaults to
            512 (ResNet-50 conv3).
        featmap_stride (int): Stride of the input feature map with respect
            to the network input (checked against the map by
            :meth:`BUFFRoIHead.check_featmap_strides`). Defaults to 8
            (conv3).
        loss_seg (dict): Per-cell binary loss on the logits, averaged over
            all cells of the batch (Eq. 1). Defaults to sigmoid cross
            entropy of weight 1 (Eq. 4).
        init_cfg (dict or list[dict], optional): Initialisation config.
    """

    def __init__(
        self,
        in_channels: int = 512,
        featmap_stride: int = 8,
        loss_seg: ConfigType = dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        init_cfg: OptMultiConfig = dict(type='Normal', std=0.01, layer='Conv2d')
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.featmap_stride = featmap_stride
        self.conv_seg = nn.Conv2d(in_channels, 1, kernel_size=1)
        self.loss_seg = MODELS.build(loss_seg)

    def forward(self, x: Tensor) -> Tensor:
        """Foreground logits.

        Args:
            x (Tensor): Feature map, shape (B, C, H, W).

        Returns:
            Tensor: Logits, shape (B, 1, H, W); their sigmoid is the
            foreground probability map.
        """
        return self.conv_seg(x)

    def box_masks(self, batch_gt_instances: InstanceList,
                  featmap_size: Sequence[int]) -> Tensor:
        """Box-wise foreground masks at the feature resolution.

        Args:
            batch_gt_instances (list[InstanceData]): Ground truth per
                image, with ``bboxes`` (N, 4) x1y1x2y2 in the network input
                frame.
            featmap_size (Sequence[int]): (H, W) of the feature map.

        Returns:
            Tensor: Masks, shape (B, 1, H, W), 1.0 where the cell centre is
            inside some box, else 0.0.
        """
        height, width = featmap_size
        masks = []
        for gt in batch_gt_instances:
            boxes = get_box_tensor(gt.bboxes).float()
            stride = self.featmap_stride
            ys = (torch.arange(height, device=boxes.device) + 0.5) * stride
            xs = (torch.arange(width, device=boxes.device) + 0.5) * stride
            x1, y1, x2, y2 = (c[:, None, None] for c in boxes.unbind(1))
            inside = ((xs[None, None] >= x1) & (xs[None, None] < x2)
                      & (ys[None, :, None] >= y1) & (ys[None, :, None] < y2))
            masks.append(
                inside.any(0) if len(boxes) else inside.new_zeros(height, width))
        return torch.stack(masks)[:, None].float()

    def loss(self, seg_logits: Tensor,
             batch_gt_instances: InstanceList) -> Dict[str, Tensor]:
        """Binary cross entropy against the box-wise masks (Eq. 1).

        Args:
            seg_logits (Tensor): Output of :meth:`forward`, shape
                (B, 1, H, W).
            batch_gt_instances (list[InstanceData]): Ground truth per
                image, boxes in the network input frame.

        Returns:
            dict[str, Tensor]: ``loss_seg``.
        """
        targets = self.box_masks(batch_gt_instances, seg_logits.shape[-2:])
        return dict(loss_seg=self.loss_seg(seg_logits, targets))
