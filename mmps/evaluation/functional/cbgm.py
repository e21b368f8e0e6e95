"""Context bipartite graph matching (CBGM), SeqNet's re-ranking rule for one
gallery image."""
from typing import Optional, Tuple

import numpy as np
from scipy.optimize import linear_sum_assignment

#: SeqNet's (k1, k2) per dataset (``eval_search_cuhk`` / ``eval_search_prw``):
#: the query's k1 most similar gallery detections choose the re-ranked
#: images; the graph holds the query and k2 - 1 context persons.
SEQNET_CBGM_K = {'cuhk_sysu': (10, 3), 'prw': (30, 4)}


def cbgm_match(weights: np.ndarray) -> Optional[Tuple[int, float]]:
    """Match [query, context persons] to one gallery image's detections.

    The bipartite graph has a row per person of the query image (row 0 the
    query, then its context) and a column per detection of the gallery
    image, weighted by embedding dot products. A maximum-total-weight
    matching pairs every node of the smaller side (SeqNet runs Kuhn-Munkres;
    SciPy's ``linear_sum_assignment`` finds the same optimum). When the
    query row is matched, its detection gets as new similarity the
    **largest single weight among the matched pairs** (SeqNet's
    ``KuhnMunkres.get_max_value_result``), which may be a context person's
    weight; otherwise the image is left as it is.

    Args:
        weights (np.ndarray): (P, N) dot products, row 0 the query.

    Returns:
        tuple[int, float] | None: the detection matched to the query and its
        new similarity, or None when the query row is unmatched (more
        persons than detections) or the image has no detection.

    Example:
        >>> # q.d1 = 0.9, q.d2 = 0.8, c.d1 = 0.95, c.d2 = 0.1: the best
        >>> # matching is q-d2, c-d1 (total 1.75), and d2 gets 0.95
        >>> cbgm_match(np.array([[0.9, 0.8], [0.95, 0.1]]))
        (1, 0.95)
    """
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 2 or weights.shape[0] == 0:
        raise ValueError('cbgm_match needs a (P, N) weight matrix with the '
                         f'query as row 0, got shape {weights.shape}')
    if weights.shape[1] == 0:
        return None
    rows, cols = linear_sum_assignment(weights, maximize=True)
    query = np.flatnonzero(rows == 0)
    if query.size == 0:
        return None
    return int(cols[query[0]]), float(weights[rows, cols].max())
