"""Person-search pipeline transforms (registered in mmdet's TRANSFORMS)."""
from . import background_influence  # noqa: F401  (MB/MF/RF/RB transforms)
from .box_mask import BoxesToForegroundMasks
from .formatting import PackPersonSearchInputs
from .instance_align import KeepInstancesAligned
from .loading import LoadPersonSearchAnnotations

__all__ = [
    'BoxesToForegroundMasks', 'KeepInstancesAligned',
    'LoadPersonSearchAnnotations', 'PackPersonSearchInputs'
]
