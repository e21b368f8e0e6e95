"""Average precision with scikit-learn's tie handling, in NumPy."""
import numpy as np


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """Average precision of binary ``labels`` ranked by ``scores``.

    Equals ``sklearn.metrics.average_precision_score(labels, scores)``:
    tied scores form one threshold, and the precision at a threshold counts
    every item scoring at least that much. Returns 0 when no label is
    positive (scikit-learn warns and returns a meaningless value there).

    Args:
        labels (np.ndarray): (N,) bool or {0, 1} ground truth.
        scores (np.ndarray): (N,) float scores, higher is more confident.

    Returns:
        float: the average precision in [0, 1].
    """
    labels = np.asarray(labels, dtype=bool).ravel()
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if labels.shape != scores.shape:
        raise ValueError(f'labels {labels.shape} and scores {scores.shape} '
                         'differ in shape')
    if not labels.any():
        return 0.0
    order = np.argsort(-scores, kind='stable')
    sorted_scores = scores[order]
    true_pos = np.cumsum(labels[order])
    last_of_tie = np.r_[np.flatnonzero(np.diff(sorted_scores)), sorted_scores.size - 1]
    tp_at = true_pos[last_of_tie]
    precision = tp_at / (last_of_tie + 1)
    recall = tp_at / tp_at[-1]
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))
