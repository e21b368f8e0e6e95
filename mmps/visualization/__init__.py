"""mmps.visualization: pictures of person-search results."""
from .person_search_visualizer import PersonSearchVisualizer, SearchRow
from .protocol_hits import (RankedHit, check_hits_request, draw_protocol_hits,
                            load_image_or_canvas, rank_query)

__all__ = [
    'PersonSearchVisualizer', 'SearchRow', 'RankedHit', 'check_hits_request',
    'draw_protocol_hits', 'load_image_or_canvas', 'rank_query'
]
