from .person_search_roi_head import PersonSearchRoIHead
from .reid_heads import ReIDEmbeddingHead

__all__ = ['PersonSearchRoIHead', 'ReIDEmbeddingHead']
