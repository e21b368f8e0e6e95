"""mmps.models: person search models, registered in mmdet's ``MODELS``."""
from .backbones import ResNetWithStem
from .dense_heads import SingleLevelRPNHead
from .detectors import PersonSearchTwoStage
from .losses import OIMLoss
from .roi_heads import (BottomUpFusion, BUFFRoIHead, PersonSearchRoIHead,
                        ReIDEmbeddingHead, StridedConvFCBBoxHead)
from .seg_heads import ForegroundSegHead
from .utils import fill_num_person_ids

__all__ = [
    'PersonSearchTwoStage', 'OIMLoss', 'PersonSearchRoIHead',
    'ReIDEmbeddingHead', 'fill_num_person_ids', 'ResNetWithStem',
    'SingleLevelRPNHead', 'BUFFRoIHead', 'BottomUpFusion',
    'StridedConvFCBBoxHead', 'ForegroundSegHead'
]
