from .foreground_attention import foreground_attention

__all__ = ['foreground_attention']
