"""Convert the CUHK-SYSU release to the mmps annotation schema.

Expected release layout under ``root``::

    Image/SSM/s<k>.jpg
    annotation/Images.mat                      # Img: imname, nAppear, idlocate
    annotation/pool.mat                        # pool: test image names
    annotation/test/train_test/Train.mat       # Train: idname, nAppear, scene
    annotation/test/train_test/TestG<N>.mat    # TestG<N>: Query, Gallery
    annotation/test/subset/*.mat               # optional query subsets

Writes ``<out-dir>/train.json`` and ``<out-dir>/test.json`` (default
``<root>/mmps``) with ``file_name`` relative to ``Image/SSM``.

Usage::

    python tools/dataset_converters/cuhk_sysu.py data/CUHK-SYSU
"""
import argparse
import glob
import os.path as osp
import re
import time
from typing import Dict, List, Optional, Tuple

import numpy as np
from PIL import Image
from scipy.io import loadmat

from mmps.datasets.schema_builder import SchemaBuilder, format_summary

SUBSET_NAMES = {'occlusion': 'occlusion', 'resolution': 'low_resolution'}


def require(path: str, what: str) -> str:
    """Return ``path`` or raise a FileNotFoundError naming ``what``."""
    if not osp.exists(path):
        raise FileNotFoundError(
            f'CUHK-SYSU {what} not found: expected it at {path} '
            '(see docs/dataset_prepare.md for the release layout)')
    return path


def load_mat(path: str, key: str, fields: Tuple[str, ...] = ()) -> np.ndarray:
    """``loadmat(path)[key]``, checking the key and struct field names."""
    mat = loadmat(path)
    if key not in mat:
        found = sorted(k for k in mat if not k.startswith('__'))
        raise KeyError(f'{path}: expected key {key!r}, found {found}')
    arr = mat[key]
    names = _fields(arr)
    missing = [f for f in fields if f not in names]
    if missing:
        raise KeyError(f'{path}: {key} lacks fields {missing}, has {names}')
    return arr


def _fields(arr: np.ndarray) -> Tuple[str, ...]:
    """Field names of a struct array, looking inside a cell if needed."""
    if arr.dtype.names:
        return arr.dtype.names
    if arr.dtype == object and arr.size:
        return _fields(arr.reshape(-1)[0])
    return ()


def _str(x: np.ndarray) -> str:
    return str(np.asarray(x).reshape(-1)[0])


def _box(x: np.ndarray) -> Optional[np.ndarray]:
    arr = np.asarray(x, dtype=np.float64).reshape(-1)
    return arr[:4] if arr.size >= 4 else None


def _pid(idname: str, fallback: int) -> int:
    digits = re.findall(r'\d+', idname)
    return int(digits[-1]) if digits else fallback


class _BoxIndex:
    """Release boxes per image name -> (split builder, annotation index)."""

    def __init__(self) -> None:
        self.boxes: Dict[str, List[Tuple[np.ndarray, Optional[int]]]] = {}

    def candidates(self, name: str, box: np.ndarray) -> List[int]:
        """Annotation indices of release boxes of ``name`` that match
        ``box``: equal ones first, then by IoU (>= 0.5) decreasing."""
        scored = []
        for cand, idx in self.boxes.get(name, []):
            if idx is None:
                continue
            if np.allclose(cand, box, atol=0.5):
                scored.append((2.0, idx))
            else:
                iou = _iou(cand, box)
                if iou >= 0.5:
                    scored.append((iou, idx))
        return [idx for _, idx in sorted(scored, key=lambda t: -t[0])]


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def convert_cuhk_sysu(root: str, out_dir: Optional[str] = None,
                      verbose: bool = True) -> Dict[str, dict]:
    """Convert a CUHK-SYSU release; returns per-split statistics.

    Person ids are the digits of the release's ``idname`` (``p<k>``); test
    boxes get the id of the query whose gallery lists them. Boxes with
    w or h <= 0 (after clipping to the image) are dropped and counted.
    """
    if not osp.isdir(root):
        raise FileNotFoundError(f'CUHK-SYSU root not found: {root}')
    out_dir = out_dir or osp.join(root, 'mmps')
    img_dir = require(osp.join(root, 'Image', 'SSM'), 'image folder')
    ann_dir = osp.join(root, 'annotation')
    tt_dir = osp.join(ann_dir, 'test', 'train_test')
    images_mat = require(osp.join(ann_dir, 'Images.mat'), 'Images.mat')
    pool_mat = require(osp.join(ann_dir, 'pool.mat'), 'pool.mat')
    train_mat = require(osp.join(tt_dir, 'Train.mat'), 'Train.mat')
    test_mats = sorted(
        glob.glob(osp.join(tt_dir, 'TestG*.mat')),
        key=lambda p: int(re.findall(r'\d+', osp.basename(p))[0]))
    if not test_mats:
        raise FileNotFoundError(
            f'CUHK-SYSU TestG<N>.mat not found: expected e.g. '
            f'{osp.join(tt_dir, "TestG100.mat")}')

    pool = load_mat(pool_mat, 'pool')
    test_names = {_str(x) for x in pool.reshape(-1)}
    all_imgs = load_mat(images_mat, 'Img', ('imname', 'idlocate'))
    builders = {s: SchemaBuilder('cuhk_sysu', s) for s in ('train', 'test')}
    index = _BoxIndex()
    where: Dict[str, Tuple[str, int]] = {}
    for entry in all_imgs.reshape(-1):
        name = _str(entry['imname'])
        split = 'test' if name in test_names else 'train'
        path = require(osp.join(img_dir, name), f'image {name}')
        with Image.open(path) as im:
            width, height = im.size
        builder = builders[split]
        image_id = builder.add_image(name, width, height, cam_id=0)
        where[name] = (split, image_id)
        idlocate = entry['idlocate']
        boxes = []
        if idlocate.size and idlocate.dtype.names:
            boxes = [_box(b[0]) for b in idlocate.reshape(-1)]
        elif idlocate.size:
            boxes = list(np.asarray(idlocate, float).reshape(-1, 4))
        index.boxes[name] = [(b, builder.add_box(image_id, b, -1))
                             for b in boxes if b is not None]
    missing_pool = test_names - set(where)
    if missing_pool:
        raise ValueError(f'{pool_mat} names images absent from Images.mat: '
                         f'{sorted(missing_pool)[:5]}')

    def assign(name: str, box: np.ndarray, pid: int, source: str) -> None:
        if name not in where:
            raise ValueError(f'{source}: image {name} is not in Images.mat')
        anns = builders[where[name][0]].annotations
        # identical boxes may hold two persons: take a free one first
        free = [
            i for i in index.candidates(name, box)
            if anns[i]['person_id'] in (-1, pid)
        ]
        if not free:
            raise ValueError(f'{source}: box {box.tolist()} of id {pid} '
                             f'matches no box of {name} in Images.mat')
        anns[free[0]]['person_id'] = pid

    train = load_mat(train_mat, 'Train', ('idname', 'scene'))
    for k, cell in enumerate(train.reshape(-1)):
        item = np.asarray(cell).reshape(-1)[0]
        pid = _pid(_str(item['idname']), k + 1)
        for sc in item['scene'].reshape(-1):
            assign(_str(sc['imname']), _box(sc['idlocate']), pid, train_mat)

    num_train_ids = len(train.reshape(-1))
    queries: List[dict] = []
    query_keys: List[Tuple[str, tuple]] = []
    galleries: Dict[str, List[List[int]]] = {}
    for path in test_mats:
        key = osp.splitext(osp.basename(path))[0]
        protoc = load_mat(path, key, ('Query', 'Gallery'))
        lists = []
        for k, item in enumerate(protoc.reshape(-1)):
            q = item['Query'].reshape(-1)[0]
            name, box = _str(q['imname']), _box(q['idlocate'])
            pid = _pid(_str(q['idname']), num_train_ids + k + 1)
            qkey = (name, tuple(np.round(box, 1)))
            if path == test_mats[0]:
                assign(name, box, pid, path)
                qbox = builders['test'].clip_box(where[name][1], box)
                queries.append(
                    dict(image_id=where[name][1], bbox=qbox, person_id=pid))
                query_keys.append(qkey)
            elif k >= len(query_keys) or query_keys[k] != qkey:
                raise ValueError(f'{path}: query {k} differs from '
                                 f'{test_mats[0]}')
            gallery = []
            for g in item['Gallery'].reshape(-1):
                gname = _str(g['imname'])
                gbox = _box(g['idlocate'])
                if gbox is not None:
                    assign(gname, gbox, pid, path)
                gallery.append(where[gname][1])
            lists.append(gallery)
        galleries[key[len('TestG'):]] = lists

    subsets = {}
    lookup = {qk: k for k, qk in enumerate(query_keys)}
    for path in sorted(glob.glob(osp.join(ann_dir, 'test', 'subset',
                                          '*.mat'))):
        stem = osp.splitext(osp.basename(path))[0]
        mat = loadmat(path)
        keys = [k for k in mat if not k.startswith('__')]
        if len(keys) != 1 or 'Query' not in _fields(mat[keys[0]]):
            raise KeyError(f'{path}: expected one struct with a Query field, '
                           f'found keys {keys}')
        picked = []
        for item in mat[keys[0]].reshape(-1):
            q = item['Query'].reshape(-1)[0]
            qkey = (_str(q['imname']), tuple(np.round(_box(q['idlocate']), 1)))
            if qkey not in lookup:
                raise ValueError(f'{path}: query {qkey} is not a test query')
            picked.append(lookup[qkey])
        subsets[SUBSET_NAMES.get(stem.lower(), stem.lower())] = picked

    builders['test'].protocol = dict(
        queries=queries, galleries=galleries, subsets=subsets)
    stats = {}
    for split, builder in builders.items():
        builder.dump(osp.join(out_dir, f'{split}.json'))
        stats[split] = builder.stats()
    if verbose:
        print(format_summary('CUHK-SYSU', stats))
        print(f'gallery sizes: {sorted(map(int, galleries))}; '
              f'subsets: { {k: len(v) for k, v in subsets.items()} }')
    return stats


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert CUHK-SYSU to the mmps annotation schema')
    parser.add_argument('root', help='release root (holds Image/, '
                        'annotation/)')
    parser.add_argument('--out-dir', help='output folder (default ROOT/mmps)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    convert_cuhk_sysu(args.root, args.out_dir)
    print(f'done in {time.perf_counter() - start:.1f} s')


if __name__ == '__main__':
    main()
