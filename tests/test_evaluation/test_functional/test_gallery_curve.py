"""gallery_curve: mAP / top-1 per numeric gallery size."""
import pytest

from mmps.evaluation.functional import (evaluate_results, gallery_curve, load_protocol,
                                        summarize)
from mmps.testing import make_search_split


def test_curve_matches_the_flat_metrics():
    ann, records = make_search_split()
    protocol = load_protocol(ann)
    sizes, maps, top1 = gallery_curve(records, protocol)
    flat = summarize(evaluate_results(records, protocol), protocol)
    assert sizes == [3, 6]
    assert maps == pytest.approx([flat['mAP_3'], flat['mAP_6']])
    assert top1 == pytest.approx([flat['top1_3'], flat['top1_6']])


def test_protocol_without_sizes_is_an_error():
    ann, records = make_search_split()
    ann['protocol'].pop('galleries')
    with pytest.raises(
            ValueError, match="the 'synthetic' protocol has no "
            'gallery sizes'):
        gallery_curve(records, load_protocol(ann))
