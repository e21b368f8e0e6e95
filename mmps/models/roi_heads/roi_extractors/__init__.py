from .bottom_up_fusion import BottomUpFusion

__all__ = ['BottomUpFusion']
