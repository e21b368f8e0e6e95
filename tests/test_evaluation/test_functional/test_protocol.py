"""load_protocol: the protocol of a test-split annotation dict."""
import numpy as np
import pytest

from mmps.evaluation.functional import load_protocol
from mmps.testing import make_search_split


@pytest.fixture(scope='module')
def split():
    ann, records = make_search_split()
    return load_protocol(ann), records


def test_protocol_loading(split):
    protocol, _ = split
    assert protocol.num_images == 10 and protocol.dataset == 'synthetic'
    assert set(protocol.galleries) == {'3', '6'}
    assert all(len(g) == 3 for g in protocol.galleries['3'])
    # xywh -> xyxy
    assert np.allclose(protocol.gt_boxes[:, 2] - protocol.gt_boxes[:, 0], 60)
    assert protocol.subsets['occlusion'].tolist() == [0, 1]


@pytest.mark.parametrize('where, bbox, message', [
    ('annotations', [10, 20, 0, 50], r'annotation 3 \(image id 101'),
    ('annotations', [10, 20, 30, -5], r'annotation 3 \(image id 101'),
    ('queries', [10, 20, 0, 0], r'query 1 \(image id'),
])
def test_degenerate_boxes_are_rejected(where, bbox, message):
    ann, _ = make_search_split()
    items = ann['annotations'] if where == 'annotations' else \
        ann['protocol']['queries']
    items[3 if where == 'annotations' else 1]['bbox'] = bbox
    with pytest.raises(
            ValueError,
            match=message + r'.*\[10\.0, 20\.0, '
            r'.*zero or negative width or height'):
        load_protocol(ann)


@pytest.mark.parametrize('change, message', [
    (lambda ann: ann.pop('protocol'), 'the annotation file has no '
     '"protocol"'),
    (lambda ann: ann['protocol']['galleries']['3'].pop(),
     'gallery 3 has 5 lists for 6 queries'),
    (lambda ann: ann['annotations'][0].update(image_id=7),
     'image id 7 in the annotations is not an image'),
    (lambda ann: ann['protocol']['galleries']['6'][0].append(99),
     'image id 99 in gallery 6 is not an image'),
])
def test_malformed_protocols_are_rejected(change, message):
    ann, _ = make_search_split()
    change(ann)
    with pytest.raises(ValueError, match=message):
        load_protocol(ann)


def test_request_checks_name_the_bad_value(split):
    protocol, _ = split
    assert protocol.check_gallery_size(3) == '3'
    assert protocol.check_gallery_size('full') == 'full'
    with pytest.raises(
            ValueError,
            match=r'gallery size 50 is not in the '
            r"'synthetic' protocol \(available: 3, 6, full\)"):
        protocol.check_gallery_size(50)
    protocol.check_query_indices([0, 5])
    with pytest.raises(
            ValueError,
            match=r'query indices -1, 6 out of range: '
            r"the 'synthetic' protocol has 6 queries \(valid "
            r'indices: 0 to 5\)'):
        protocol.check_query_indices([-1, 0, 6])
