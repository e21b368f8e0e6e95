"""Readers of converted splits shared by the converter tests."""
import json
import os.path as osp
from typing import Callable

import pytest


def _load(out_dir):
    """(train, test) schema dicts written to ``out_dir``."""
    out = []
    for split in ('train', 'test'):
        with open(osp.join(out_dir, f'{split}.json')) as f:
            out.append(json.load(f))
    return out


def _check_against_manifest(train, test, manifest, stats, file_of):
    """The converted splits hold what the synthetic release was written
    with (``manifest``); ``file_of`` maps a file name to its release
    name."""
    for split, data in (('train', train), ('test', test)):
        assert len(data['images']) == manifest['num_images'][split]
        assert len(data['annotations']) == manifest['num_boxes'][split]
        assert stats[split]['images'] == manifest['num_images'][split]
    assert sum(s['degenerate_dropped'] for s in stats.values()) == \
        manifest['num_degenerate'] > 0
    assert sorted({a['person_id'] for a in train['annotations']} - {-1}) == \
        manifest['train_ids']
    # the releases have no person masks: every box is its own stand-in
    assert {a['mask_source']
            for a in train['annotations'] + test['annotations']} == {'box'}
    names = {img['id']: img['file_name'] for img in test['images']}
    got = [(file_of(names[q['image_id']]), q['bbox'], q['person_id'])
           for q in test['protocol']['queries']]
    assert got == [(file_of(n), b, p) for n, b, p in manifest['queries']]


def _query_person(scenes, k=0):
    """(plan index, person) of query ``k``."""
    qi, qj = scenes.queries[k]
    return qi, scenes.plans[qi].persons[qj]


def _annotation(data, file_name, person_id):
    """Annotations of ``person_id`` in image ``file_name``."""
    img = next(i for i in data['images'] if i['file_name'] == file_name)
    return [
        a for a in data['annotations']
        if a['image_id'] == img['id'] and a['person_id'] == person_id
    ]


@pytest.fixture
def load_converted() -> Callable:
    """``load_converted(out_dir)``: the (train, test) dicts written there."""
    return _load


@pytest.fixture
def check_against_manifest() -> Callable:
    """``check_against_manifest(train, test, manifest, stats, file_of)``:
    assert the conversion kept what the synthetic release holds."""
    return _check_against_manifest


@pytest.fixture
def query_person() -> Callable:
    """``query_person(scenes, k=0)``: (plan index, person) of query k."""
    return _query_person


@pytest.fixture
def annotation_of() -> Callable:
    """``annotation_of(data, file_name, person_id)``: that person's
    annotations in that image."""
    return _annotation
