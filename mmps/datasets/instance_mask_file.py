"""Offline instance-mask files: per-image person masks (RLE) with scores.

A file is one JSON object::

    {"info": {"format": "mmps-instance-masks", "ann_file": str,
              "seg_config": str, "seg_checkpoint": str,
              "checkpoint_sha256": str, "score_thr": float,
              "person_class": int},
     "images": [{"id": int, "file_name": str, "height": int, "width": int,
                 "masks": [COCO RLE, ...], "scores": [float, ...]}, ...]}

``tools/misc/make_instance_masks.py`` writes it (:mod:`mmps.apis.instance_masks`);
:class:`~mmps.datasets.transforms.LoadInstanceMap` reads it.
"""
import hashlib
import json
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np
import pycocotools.mask as mask_utils

FORMAT = 'mmps-instance-masks'
MAKE_COMMAND = ('python tools/misc/make_instance_masks.py SEG_CONFIG SEG_CKPT ANN_FILE '
                '--img-prefix IMG_DIR --out {path}')


def sha256_of(path: str) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def encode_masks(masks: np.ndarray) -> List[dict]:
    """Encode binary masks as JSON-ready COCO RLEs.

    Args:
        masks (np.ndarray): Shape (N, H, W), bool or {0, 1}.

    Returns:
        list[dict]: One ``{'size': [H, W], 'counts': str}`` per mask.
    """
    if len(masks) == 0:
        return []
    encoded = mask_utils.encode(
        np.asfortranarray(np.asarray(masks, np.uint8).transpose(1, 2, 0)))
    return [
        dict(size=list(rle['size']), counts=rle['counts'].decode('ascii'))
        for rle in encoded
    ]


def decode_masks(rles: List[dict], height: int, width: int) -> np.ndarray:
    """Decode RLEs written by :func:`encode_masks`.

    Returns:
        np.ndarray: Shape (N, H, W) bool.
    """
    if not rles:
        return np.zeros((0, height, width), bool)
    decoded = mask_utils.decode(
        [dict(size=r['size'], counts=r['counts'].encode('ascii')) for r in rles])
    return decoded.transpose(2, 0, 1).astype(bool)


def dump_instance_mask_file(path: str, info: dict, images: List[dict]) -> None:
    """Write a mask file.

    Args:
        path (str): Output JSON path.
        info (dict): Header (``ann_file``, ``checkpoint_sha256``, ...);
            ``format`` is added.
        images (list[dict]): Per image ``id``, ``file_name``, ``height``,
            ``width``, ``masks`` (RLEs) and ``scores``.
    """
    with open(path, 'w') as f:
        json.dump(dict(info=dict(info, format=FORMAT), images=images), f)


def load_instance_mask_file(path: str) -> Tuple[dict, Dict[int, dict]]:
    """Read a mask file.

    Args:
        path (str): The JSON file.

    Returns:
        tuple[dict, dict[int, dict]]: The header and the images by id.

    Raises:
        FileNotFoundError: No file at ``path`` (the message names the tool
            command that makes it).
        ValueError: The file is not an mmps instance-mask file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'instance mask file {path} not found: make it with ' +
                                MAKE_COMMAND.format(path=path))
    with open(path) as f:
        content = json.load(f)
    if not isinstance(content, dict) or content.get('info', {}).get('format') != FORMAT:
        raise ValueError(f'{path} is not an instance mask file: make it with ' +
                         MAKE_COMMAND.format(path=path))
    return content['info'], {int(image['id']): image for image in content['images']}
