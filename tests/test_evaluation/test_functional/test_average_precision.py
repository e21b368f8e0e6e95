"""average_precision: scikit-learn's values and tie rule, bad input."""
import pytest

from mmps.evaluation.functional import average_precision


def test_average_precision_matches_sklearn_values():
    # values from sklearn.metrics.average_precision_score
    assert average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == \
        pytest.approx(0.8333333333)
    assert average_precision([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.1]) == \
        pytest.approx(2 / 3)
    assert average_precision([0, 0], [0.3, 0.2]) == 0.0


def test_tied_scores_form_one_threshold():
    # three items tied at 0.5, one positive: precision 1/3 at the only
    # threshold; a strict ranking of the tie would give 1 or 1/3 by order
    assert average_precision([0, 1, 0], [0.5, 0.5, 0.5]) == \
        pytest.approx(1 / 3)


def test_shape_mismatch_is_an_error():
    with pytest.raises(
            ValueError, match=r'labels \(2,\) and scores \(3,\) '
            'differ in shape'):
        average_precision([1, 0], [0.1, 0.2, 0.3])
