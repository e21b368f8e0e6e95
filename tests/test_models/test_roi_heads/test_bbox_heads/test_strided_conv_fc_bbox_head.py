"""StridedConvFCBBoxHead: strided conv, one FC, then the predictors."""
import pytest
import torch

from mmps.models import StridedConvFCBBoxHead


@pytest.mark.parametrize('kernel, norm, out_hw', [(3, None, (7, 4)),
                                                  (1, dict(type='BN'), (7, 4))])
def test_shapes_and_parameter_count(kernel, norm, out_hw):
    head = StridedConvFCBBoxHead(
        in_channels=16,
        roi_feat_size=(14, 7),
        num_classes=1,
        conv_out_channels=8,
        conv_kernel_size=kernel,
        fc_out_channels=32,
        norm_cfg=norm)
    head.init_weights()
    feats = torch.rand(3, 16, 14, 7)
    assert head.conv(feats).shape == (3, 8) + out_hw
    cls_score, bbox_pred = head(feats)
    assert cls_score.shape == (3, 2)
    # class-agnostic regression (mmdet's default reg_class_agnostic=False
    # gives 4 per class: one class here)
    assert bbox_pred.shape == (3, 4)
    conv = 16 * 8 * kernel * kernel + (2 * 8 if norm else 8)
    fc = 8 * out_hw[0] * out_hw[1] * 32 + 32
    predictors = (32 * 2 + 2) + (32 * 4 + 4)
    assert sum(p.numel() for p in head.parameters()) == conv + fc + predictors
    # the predictors read the FC output
    assert head.fc_cls.in_features == head.fc_reg.in_features == 32
