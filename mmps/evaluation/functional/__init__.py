"""Person-search evaluation in NumPy (no torch, no mmengine)."""
from .average_precision import average_precision
from .box_ops import paired_iou, search_iou_threshold, xywh_to_xyxy
from .det_eval import eval_detection
from .protocol import SearchProtocol, load_protocol
from .results_eval import (check_record, evaluate_results, format_table,
                           load_results, summarize, to_record)
from .search_eval import SearchResult, eval_search

__all__ = [
    'average_precision', 'paired_iou', 'search_iou_threshold', 'xywh_to_xyxy',
    'eval_detection', 'SearchProtocol', 'load_protocol', 'check_record',
    'evaluate_results', 'format_table', 'load_results', 'summarize',
    'to_record',
    'SearchResult', 'eval_search'
]
