from .box_frames import boxes_to_input_frame, boxes_to_original_frame
from .dist_utils import all_gather_variable, get_world_size
from .featmap_stride import check_featmap_stride
from .foreground_attention import foreground_attention
from .num_person_ids import fill_num_person_ids

__all__ = [
    'boxes_to_input_frame', 'boxes_to_original_frame', 'all_gather_variable',
    'get_world_size', 'fill_num_person_ids', 'foreground_attention',
    'check_featmap_stride'
]
