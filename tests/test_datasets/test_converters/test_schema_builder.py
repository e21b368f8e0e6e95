"""SchemaBuilder and the validated writing of converted splits."""
import json
import os.path as osp

import pytest

from mmps.datasets.converters import SchemaBuilder, dump_splits, format_summary


def _builders():
    """A train split and a test split whose query is found in image 2."""
    train = SchemaBuilder('toy', 'train')
    image = train.add_image('a.jpg', 100, 50, cam_id=0)
    train.add_box(image, [10, 5, 20, 40], 3)
    test = SchemaBuilder('toy', 'test')
    first = test.add_image('q.jpg', 100, 50, cam_id=0)
    second = test.add_image('g.jpg', 100, 50, cam_id=1)
    test.add_box(first, [10, 5, 20, 40], 7)
    test.add_box(second, [-5, 5, 20, 40], 7)  # past the border: a warning
    test.protocol = dict(
        queries=[dict(image_id=first, bbox=[10, 5, 20, 40], person_id=7)],
        galleries={},
        subsets={})
    return dict(train=train, test=test)


def test_degenerate_boxes_are_dropped_and_counted():
    builder = SchemaBuilder('toy', 'train')
    image = builder.add_image('a.jpg', 100, 50, cam_id=0)
    assert builder.add_box(image, [1, 1, 0, 5], -1) is None
    assert builder.add_box(image, [1, 1, 4, 5], -1) == 0
    assert builder.num_degenerate == 1
    assert builder.annotations[0]['mask_source'] == 'box'
    with pytest.raises(ValueError, match='annotation 0 has w or h <= 0'):
        builder.set_box(0, [1, 1, 4, -5])


def test_dump_splits_validates_then_writes(tmp_path):
    stats = dump_splits(_builders(), str(tmp_path))
    assert stats['train']['schema_warnings'] == 0
    assert stats['test']['schema_warnings'] == 1
    assert stats['test']['queries'] == 1
    with open(osp.join(tmp_path, 'test.json')) as f:
        assert json.load(f) == _builders()['test'].to_dict()
    summary = format_summary('Toy', stats)
    assert summary.splitlines()[-1] == (
        'schema check passed: 0 violations, 1 warning(s) (boxes past the '
        'image border, ids repeated within an image; '
        'tools/misc/check_dataset.py lists them)')
    assert 'schema check' not in format_summary(
        'Toy', {split: b.stats()
                for split, b in _builders().items()})


def test_dump_splits_writes_nothing_when_a_split_is_invalid(tmp_path):
    builders = _builders()
    builders['test'].annotations[1]['person_id'] = -1  # query not findable
    with pytest.raises(ValueError) as err:
        dump_splits(builders, str(tmp_path / 'out'))
    assert str(
        err.value) == ('toy conversion: test.json would violate the mmps schema (1 '
                       'violation(s), nothing written); the first: test.json: '
                       'protocol.galleries[all][0]: query id 7 absent from the gallery')
    assert not osp.exists(tmp_path / 'out')
