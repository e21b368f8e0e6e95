from .embedding_head import ReIDEmbeddingHead

__all__ = ['ReIDEmbeddingHead']
