"""Person-search pipeline transforms (registered in mmdet's TRANSFORMS)."""
from .box_mask import BoxesToForegroundMasks
from .formatting import PackPersonSearchInputs
from .loading import LoadPersonSearchAnnotations

__all__ = [
    'BoxesToForegroundMasks', 'LoadPersonSearchAnnotations',
    'PackPersonSearchInputs'
]
