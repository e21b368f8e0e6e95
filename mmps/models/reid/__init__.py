from .base_crop_reid import BaseCropReID, build_crop_cfg, crop_settings
from .bnneck_reid import BNNeckReID
from .mask_guided_reid import MaskGuidedReID

__all__ = [
    'BaseCropReID', 'build_crop_cfg', 'crop_settings', 'MaskGuidedReID', 'BNNeckReID'
]
