"""Person-search pipeline transforms (registered in mmdet's TRANSFORMS)."""
from .background_influence import (MeanBackground, MeanForeground, RandomBackground,
                                   RandomForeground)
from .box_mask import BoxesToForegroundMasks
from .crop_person_patch import CropPersonPatch
from .formatting import PackPersonSearchInputs
from .instance_align import KeepInstancesAligned
from .load_instance_map import LoadInstanceMap
from .loading import LoadPersonSearchAnnotations
from .pack_crop_reid_inputs import PackCropReIDInputs

__all__ = [
    'MeanBackground', 'MeanForeground', 'RandomBackground', 'RandomForeground',
    'BoxesToForegroundMasks', 'KeepInstancesAligned', 'LoadPersonSearchAnnotations',
    'PackPersonSearchInputs', 'CropPersonPatch', 'PackCropReIDInputs', 'LoadInstanceMap'
]
