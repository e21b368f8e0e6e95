from .affine_grid_cropper import AffineGridCropper
from .contextual_point_pooling import ContextualPointPooling, point_distribution_loss
from .cross_scale_aggregation import CrossScaleAggregation, points_inside_boxes
from .foreground_attention import foreground_attention
from .roi_align_cropper import RoIAlignCropper
from .roi_transform import RoITransform
from .se_fusion import SEFusion

__all__ = [
    'ContextualPointPooling', 'point_distribution_loss', 'CrossScaleAggregation',
    'points_inside_boxes', 'foreground_attention', 'AffineGridCropper', 'RoITransform',
    'RoIAlignCropper', 'SEFusion'
]
