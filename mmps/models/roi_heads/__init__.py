from .bbox_heads import StridedConvFCBBoxHead
from .buff_roi_head import BUFFRoIHead
from .person_search_roi_head import PersonSearchRoIHead
from .roi_extractors import BottomUpFusion
from .smg_roi_head import SMGRoIHead

__all__ = [
    'PersonSearchRoIHead', 'BUFFRoIHead', 'BottomUpFusion', 'StridedConvFCBBoxHead',
    'SMGRoIHead'
]
