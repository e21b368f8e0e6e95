"""Offline instance-mask files: RLE round trip, header, refusals."""
import json

import numpy as np
import pytest

from mmps.datasets.instance_mask_file import (decode_masks, dump_instance_mask_file,
                                              encode_masks, load_instance_mask_file,
                                              sha256_of)


def test_masks_round_trip_through_json(tmp_path):
    rng = np.random.default_rng(0)
    masks = rng.random((3, 7, 5)) > 0.5
    path = str(tmp_path / 'm.json')
    dump_instance_mask_file(path, dict(ann_file='a.json'), [
        dict(
            id=4,
            file_name='x.jpg',
            height=7,
            width=5,
            masks=encode_masks(masks),
            scores=[0.9, 0.8, 0.7])
    ])
    info, images = load_instance_mask_file(path)
    assert info == dict(ann_file='a.json', format='mmps-instance-masks')
    assert np.array_equal(decode_masks(images[4]['masks'], 7, 5), masks)
    assert encode_masks(masks[:0]) == [] and decode_masks([], 7, 5).shape == (0, 7, 5)


def test_sha256_of_a_file(tmp_path):
    path = tmp_path / 'f.bin'
    path.write_bytes(b'abc')
    assert sha256_of(str(path)) == (
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')


def test_other_json_is_refused(tmp_path):
    path = tmp_path / 'coco.json'
    path.write_text(json.dumps(dict(images=[], annotations=[])))
    with pytest.raises(ValueError, match='is not an instance mask file: make it with'):
        load_instance_mask_file(str(path))
