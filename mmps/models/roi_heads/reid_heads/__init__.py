from .bottom_up_fusion import BottomUpFusion
from .embedding_head import ReIDEmbeddingHead

__all__ = ['BottomUpFusion', 'ReIDEmbeddingHead']
