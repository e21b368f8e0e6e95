from .box_frames import boxes_to_input_frame, boxes_to_original_frame
from .dist_utils import all_gather_variable
from .featmap_stride import check_featmap_stride
from .person_segmentor import DEFAULT_SEGMENTOR, check_person_segmentor
from .query_packing import pack_query_predictions, query_boxes

__all__ = [
    'boxes_to_input_frame', 'boxes_to_original_frame', 'all_gather_variable',
    'check_featmap_stride', 'pack_query_predictions', 'query_boxes',
    'DEFAULT_SEGMENTOR', 'check_person_segmentor'
]
