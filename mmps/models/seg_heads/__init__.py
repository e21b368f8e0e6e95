from .foreground_seg_head import ForegroundSegHead

__all__ = ['ForegroundSegHead']
