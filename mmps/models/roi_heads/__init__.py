from .bbox_heads import StridedConvFCBBoxHead
from .buff_roi_head import BUFFRoIHead
from .person_search_roi_head import PersonSearchRoIHead
from .reid_heads import BottomUpFusion, ReIDEmbeddingHead

__all__ = [
    'PersonSearchRoIHead', 'ReIDEmbeddingHead', 'BUFFRoIHead',
    'BottomUpFusion', 'StridedConvFCBBoxHead'
]
