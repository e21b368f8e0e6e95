"""mmps.evaluation: the person-search protocol core and its metric."""
from .functional import (SearchProtocol, SearchResult, average_precision,
                         eval_detection, eval_search, evaluate_results, load_protocol)
from .metrics import PersonSearchMetric

__all__ = [
    'SearchProtocol', 'SearchResult', 'average_precision', 'eval_detection',
    'eval_search', 'evaluate_results', 'load_protocol', 'PersonSearchMetric'
]
