"""Person-search evaluation in NumPy (no torch, no mmengine)."""
from .average_precision import average_precision
from .cbgm import SEQNET_CBGM_K, cbgm_match
from .det_eval import eval_detection
from .gallery_curve import gallery_curve
from .protocol import SearchProtocol, load_protocol
from .results_eval import (check_record, evaluate_results, format_table, load_results,
                           summarize, to_record)
from .search_eval import SearchResult, eval_search

__all__ = [
    'average_precision', 'SEQNET_CBGM_K', 'cbgm_match', 'eval_detection',
    'gallery_curve', 'SearchProtocol', 'load_protocol', 'check_record',
    'evaluate_results', 'format_table', 'load_results', 'summarize', 'to_record',
    'SearchResult', 'eval_search'
]
