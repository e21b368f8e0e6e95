from .pcnet_head import PCNetHead
from .single_level_rpn_head import SingleLevelRPNHead

__all__ = ['SingleLevelRPNHead', 'PCNetHead']
