from .pcnet_head import PCNetHead
from .persistent_anchor_rpn_head import PersistentAnchorRPNHead
from .single_level_rpn_head import SingleLevelRPNHead

__all__ = ['SingleLevelRPNHead', 'PCNetHead', 'PersistentAnchorRPNHead']
