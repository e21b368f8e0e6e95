"""Person-search pipeline transforms (registered in mmdet's TRANSFORMS)."""
from .background_influence import (MeanBackground, MeanForeground, RandomBackground,
                                   RandomForeground)
from .box_mask import BoxesToForegroundMasks
from .formatting import PackPersonSearchInputs
from .instance_align import KeepInstancesAligned
from .loading import LoadPersonSearchAnnotations

__all__ = [
    'MeanBackground', 'MeanForeground', 'RandomBackground', 'RandomForeground',
    'BoxesToForegroundMasks', 'KeepInstancesAligned', 'LoadPersonSearchAnnotations',
    'PackPersonSearchInputs'
]
