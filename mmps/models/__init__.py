"""mmps.models: person search models, registered in mmdet's ``MODELS``."""
from .detectors import PersonSearchTwoStage
from .losses import OIMLoss
from .roi_heads import PersonSearchRoIHead, ReIDEmbeddingHead
from .utils import fill_num_person_ids

__all__ = [
    'PersonSearchTwoStage', 'OIMLoss', 'PersonSearchRoIHead',
    'ReIDEmbeddingHead', 'fill_num_person_ids'
]
