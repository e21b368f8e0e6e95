from .strided_conv_fc_bbox_head import StridedConvFCBBoxHead

__all__ = ['StridedConvFCBBoxHead']
