"""Hand-made pipeline inputs whose answers are known."""
from typing import Callable

import numpy as np
import pytest

from mmps.datasets.transforms import LoadPersonSearchAnnotations


def _results(with_queries: bool = False) -> dict:
    """A 40x100 (h x w) image with two persons whose answer is known."""
    img = np.zeros((40, 100, 3), np.uint8)
    results = dict(
        img=img,
        img_id=5,
        img_path='x.jpg',
        img_shape=(40, 100),
        ori_shape=(40, 100),
        cam_id=3,
        instances=[
            dict(
                bbox=[10., 5., 30., 35.],
                bbox_label=0,
                ignore_flag=0,
                person_id=4,
                mask_valid=True,
                mask=[[10, 5, 30, 5, 30, 35, 10, 35]]),
            dict(
                bbox=[60., 0., 90., 40.],
                bbox_label=0,
                ignore_flag=0,
                person_id=-1,
                mask_valid=False),  # its box stands in
        ])
    if with_queries:
        results['queries'] = [
            dict(bbox=[10., 5., 30., 35.], query_index=2),
            dict(bbox=[60., 0., 90., 40.], query_index=-1)
        ]
    return results


def _loaded(**kwargs) -> dict:
    """The two persons, with queries, through LoadPersonSearchAnnotations
    (``with_bbox=True`` and ``kwargs``)."""
    return LoadPersonSearchAnnotations(
        with_bbox=True, **kwargs)(
            _results(with_queries=True))


def _three_persons() -> dict:
    """A real mask, a box stand-in and a stand-in written as a polygon,
    loaded with masks."""
    results = _results()
    results['instances'] = [
        results['instances'][1],
        dict(
            bbox=[40., 2., 55., 38.],
            bbox_label=0,
            ignore_flag=0,
            person_id=9,
            mask_valid=False,
            mask=[[40, 2, 55, 2, 55, 38, 40, 38]]),
        results['instances'][0],
    ]
    return LoadPersonSearchAnnotations(with_mask=True)(results)


@pytest.fixture
def two_persons() -> Callable[..., dict]:
    """``two_persons(with_queries=False)``: a fresh unloaded input."""
    return _results


@pytest.fixture
def loaded_two_persons() -> Callable[..., dict]:
    """``loaded_two_persons(**load_kwargs)``: the input with queries,
    loaded."""
    return _loaded


@pytest.fixture
def three_persons() -> Callable[[], dict]:
    """``three_persons()``: three persons loaded with masks, ids [-1, 9,
    4], real mask only for the last."""
    return _three_persons
