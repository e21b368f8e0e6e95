"""Box head with one strided convolution and one fully-connected layer."""
from typing import Optional, Tuple

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmdet.models.roi_heads.bbox_heads import BBoxHead
from mmdet.registry import MODELS
from mmdet.utils import OptConfigType
from torch import Tensor


@MODELS.register_module()
class StridedConvFCBBoxHead(BBoxHead):
    """RoI features -> conv (with stride) -> flatten -> FC -> classifier
    and box regressor: the detection head of BUFF (Sec. 4.1, Yang et al.,
    ACM MM 2020), where a (1024, 14, 7) RoI feature becomes (256, 7, 4),
    then a 256-d detection feature.

    :class:`ConvFCBBoxHead` cannot express it: its convolutions keep the
    RoI size. Each layer is followed by a ReLU.

    Args:
        conv_out_channels (int): Channels of the convolution output.
            Defaults to 256.
        conv_kernel_size (int): Kernel size (padding ``k // 2``). Defaults
            to 3.
        conv_stride (int): Stride. Defaults to 2.
        fc_out_channels (int): Size of the detection feature. Defaults to
            256.
        conv_cfg (dict, optional): Convolution config.
        norm_cfg (dict, optional): Normalisation after the convolution.
        **kwargs: Arguments of :class:`BBoxHead` (``roi_feat_size`` is the
            input RoI size; ``with_avg_pool`` is always False).
    """

    def __init__(self,
                 conv_out_channels: int = 256,
                 conv_kernel_size: int = 3,
                 conv_stride: int = 2,
                 fc_out_channels: int = 256,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = None,
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(with_avg_pool=False, init_cfg=init_cfg, **kwargs)
        padding = conv_kernel_size // 2
        self.conv = ConvModule(
            self.in_channels,
            conv_out_channels,
            conv_kernel_size,
            stride=conv_stride,
            padding=padding,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg)
        out_h, out_w = ((size + 2 * padding - conv_kernel_size) // conv_stride + 1
                        for size in self.roi_feat_size)
        self.fc = nn.Linear(conv_out_channels * out_h * out_w, fc_out_channels)
        self.relu = nn.ReLU(inplace=True)
        # the predictors read the FC output, not the flattened RoI feature:
        # rebuild the ones BBoxHead.__init__ sized for the flattened RoI (no
        # argument of it avoids that; mmdet's ConvFCBBoxHead does the same;
        # the discarded layers cost build time only, and BBoxHead's init_cfg
        # still applies to the new ones by name)
        if self.with_cls:
            cls_channels = (
                self.loss_cls.get_cls_channels(self.num_classes)
                if self.custom_cls_channels else self.num_classes + 1)
            cls_cfg = self.cls_predictor_cfg.copy()
            cls_cfg.update(in_features=fc_out_channels, out_features=cls_channels)
            self.fc_cls = MODELS.build(cls_cfg)
        if self.with_reg:
            reg_cfg = self.reg_predictor_cfg.copy()
            reg_cfg.update(
                in_features=fc_out_channels,
                out_features=4 if self.reg_class_agnostic else 4 * self.num_classes)
            self.fc_reg = MODELS.build(reg_cfg)
        if init_cfg is None:
            self.init_cfg += [
                dict(type='Xavier', distribution='uniform', override=dict(name='fc'))
            ]

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Classify and regress RoIs.

        Args:
            x (Tensor): RoI features, shape (N, C, h, w) with (h, w) =
                ``roi_feat_size``.

        Returns:
            tuple[Tensor, Tensor]: Class scores (N, num_classes + 1) and
            box deltas (N, 4) or (N, 4 * num_classes).
        """
        x = self.relu(self.fc(self.conv(x).flatten(1)))
        cls_score = self.fc_cls(x) if self.with_cls else None
        bbox_pred = self.fc_reg(x) if self.with_reg else None
        return cls_score, bbox_pred
