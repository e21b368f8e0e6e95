"""Convert the CUHK-SYSU release to the mmps annotation schema.

Expected release layout under ``root`` (MATLAB variable and struct fields
after the colon)::

    Image/SSM/s<k>.jpg
    annotation/Images.mat                    # Img: imname, nAppear,
                                             #   box (idlocate, ishard)
    annotation/pool.mat                      # pool: test image names
    annotation/test/train_test/Train.mat     # Train: idname, nAppear,
                                             #   scene (imname, idlocate, ishard)
    annotation/test/train_test/TestG<N>.mat  # TestG<N>: Query (imname,
                                             #   idlocate, ishard, idname),
                                             #   Gallery (imname, idlocate, ishard)
    annotation/test/subset/Occlusion.mat     # optional, Occlusion1: Query,
                                             #   Gallery, occlusion
    annotation/test/subset/Resolution.mat    # optional, Test_Size: Query,
                                             #   Gallery

Sources for the layout (no official format document exists):

- the release README: ``Images.mat`` holds per image "the number and
  locations of pedestrians appearing (nAppear and box)"; ``Occlusion.mat``
  has 187 and ``Resolution.mat`` 290 query persons;
- ShuangLI59/person_search ``lib/datasets/psdb.py`` (the authors' code):
  reads each ``Img`` row as (name, count, boxes) and takes the first field
  of every boxes entry as [x, y, w, h]; ``TestG50`` ``Query`` and
  ``Gallery``, an empty gallery ``idlocate`` meaning the query person is
  absent from that image (the indexed version of its evaluation does not
  open the subset files);
- a public CUHK-SYSU reader by Yimin Jiang (class
  ``CUHK_SYSU(DatasetReader)``, found through the code search; repository
  name not recorded) whose docstring lists ``Img`` as
  ``struct(imname, nAppear, box)`` with ``box`` a ``struct(idlocate,
  ishard)``, ``Occlusion.mat`` as key ``Occlusion1``, ``struct(Query,
  Gallery, occlusion) * 187`` and ``Resolution.mat`` as key ``Test_Size``,
  ``struct(Query, Gallery) * 290``, each ``Query`` a ``struct(imname,
  idlocate, ishard, idname)`` and each ``Gallery`` 100 entries like
  TestG's; another public loader (class ``CUHK_Large``) opens the same two
  keys.

A subset entry is thus a query person (image name + box) with its own
100-image gallery. It is mapped to the index of the TestG query with the
same image and box; its gallery is compared with the TestG list of the same
size for that query and the number of differing lists is reported.

Boxes follow the official evaluation (ShuangLI59/person_search, also
serend1p1ty/SeqNet ``eval_func.py``), so that evaluating on these files
matches it exactly: x, y, w and h are truncated to integers and the box is
not clipped to the image (:func:`reference_box`). A labelled test box takes
the geometry of its TestG ``Gallery``/``Query`` box, which the evaluation
matches against, where that differs from the ``Images.mat`` box it was
matched to (the summary counts these and any TestG files that disagree).

Writes ``<out-dir>/train.json`` and ``<out-dir>/test.json`` (default
``<root>/mmps``) with ``file_name`` relative to ``Image/SSM``, after
checking both with :func:`mmps.datasets.validation.validate_annotations`.
The .mat files are streamed with :mod:`mmps.datasets.matfile` (TestG4000
alone holds 11.6 million gallery entries). The command line is
``tools/dataset_converters/cuhk_sysu.py``.
"""
import glob
import os.path as osp
import re
from functools import partial
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmps.structures import paired_iou, xywh_to_xyxy
from ..matfile import MatFile, struct_fields
from .schema_builder import (SchemaBuilder, dump_splits, format_summary, image_size,
                             require_path)

SUBSETS = (('Occlusion.mat', 'Occlusion1', 'occlusion'), ('Resolution.mat', 'Test_Size',
                                                          'low_resolution'))
QUERY_FIELDS = ('imname', 'idlocate', 'idname')

require = partial(require_path, release='CUHK-SYSU')


def load_var(path: str, key: str, fields: Sequence[str] = ()) -> Any:
    """Variable ``key`` of ``path``, checking its struct ``fields``."""
    value = MatFile(path).read(key)
    if fields:
        struct_fields(value, path, key, fields)
    return value


def reference_box(xywh: Sequence[float]) -> List[float]:
    """(x, y, w, h) truncated towards zero, as the official evaluation reads
    ``idlocate`` (``astype(np.int32)``); not clipped to the image."""
    return [float(int(v)) for v in xywh]


def _box(x: Any) -> Optional[np.ndarray]:
    arr = np.asarray(x, dtype=np.float64).reshape(-1)
    return arr[:4] if arr.size >= 4 else None


def _pid(idname: str, fallback: int) -> int:
    digits = re.findall(r'\d+', idname)
    return int(digits[-1]) if digits else fallback


def _query(q: Any, path: str, where: str) -> Tuple[str, np.ndarray, str]:
    """(image name, box, idname) of a 1 x 1 ``Query`` struct."""
    struct_fields(q, path, where, QUERY_FIELDS)
    box = _box(q['idlocate'][0])
    if box is None:
        raise ValueError(f'{path}: {where} has no box')
    return q['imname'][0], box, q['idname'][0]


class _BoxIndex:
    """Release boxes per image name -> annotation index (None: dropped)."""

    def __init__(self) -> None:
        self.boxes: Dict[str, List[Tuple[tuple, Optional[int]]]] = {}

    def candidates(self, name: str, box: np.ndarray) -> List[int]:
        """Annotation indices of release boxes of ``name`` that match the
        (x, y, w, h) ``box``: equal ones (every value within 0.5) first,
        then by IoU (>= 0.5) decreasing, ties in release order."""
        kept = [(cand, idx) for cand, idx in self.boxes.get(name, [])
                if idx is not None]
        if not kept:
            return []
        cands = np.asarray([cand for cand, _ in kept], np.float64)
        equal = np.abs(cands - np.asarray(box, np.float64)).max(1) <= 0.5
        iou = paired_iou(xywh_to_xyxy(cands), xywh_to_xyxy(box))
        score = np.where(equal, 2.0, iou)
        order = np.argsort(-score, kind='stable')
        return [kept[k][1] for k in order if equal[k] or iou[k] >= 0.5]


def _qkey(name: str, box: np.ndarray) -> Tuple[str, tuple]:
    return name, tuple(np.round(box, 1).tolist())


def convert_cuhk_sysu(root: str,
                      out_dir: Optional[str] = None,
                      verbose: bool = True) -> Dict[str, dict]:
    """Convert a CUHK-SYSU release; returns per-split statistics.

    Person ids are the digits of the release's ``idname`` (``p<k>``); test
    boxes get the id of the query whose gallery lists them. Boxes follow
    :func:`reference_box`; boxes with w or h <= 0 are dropped and counted.
    ``stats['test']`` also holds ``gallery_sizes``, ``testg_boxes`` (test
    boxes whose geometry was taken from a TestG file because it differs
    from ``Images.mat``), ``testg_conflicts`` (boxes given two different
    geometries by TestG files; the first file, in increasing gallery size,
    wins) and, per subset, the number of queries and of subset galleries
    that differ from the TestG list of the same size.

    Args:
        root (str): Release root (holds ``Image/`` and ``annotation/``).
        out_dir (str, optional): Output folder. Defaults to
            ``<root>/mmps``.
        verbose (bool): Print the summary. Defaults to True.

    Returns:
        dict[str, dict]: Per split, the counts of
        :meth:`SchemaBuilder.stats` and ``schema_warnings``
        (:func:`dump_splits`), plus the test-only entries above.
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
            f'{osp.join(tt_dir, "TestG100.mat")} (the release has N = 50, '
            '100, 500, 1000, 2000, 4000)')

    test_names = set(load_var(pool_mat, 'pool'))
    all_imgs = load_var(images_mat, 'Img', ('imname', 'box'))
    builders = {s: SchemaBuilder('cuhk_sysu', s) for s in ('train', 'test')}
    index = _BoxIndex()
    where: Dict[str, Tuple[str, int]] = {}
    for name, boxes in zip(all_imgs['imname'], all_imgs['box']):
        split = 'test' if name in test_names else 'train'
        path = require(osp.join(img_dir, name), f'image {name}')
        width, height = image_size(path)
        builder = builders[split]
        image_id = builder.add_image(name, width, height, cam_id=0)
        where[name] = (split, image_id)
        locs = []
        if isinstance(boxes, dict):  # an image without persons has []
            locs = struct_fields(boxes, images_mat, f'Img.box of {name}',
                                 ('idlocate', ))['idlocate']
        index.boxes[name] = [(tuple(b.tolist()),
                              builder.add_box(image_id, reference_box(b), -1))
                             for b in map(_box, locs) if b is not None]
    missing_pool = test_names - set(where)
    if missing_pool:
        raise ValueError(f'{pool_mat} names images absent from Images.mat: '
                         f'{sorted(missing_pool)[:5]}')
    test_ids = {n: i for n, (s, i) in where.items() if s == 'test'}
    # test annotation index -> the TestG box it took
    testg_box: Dict[int, List[float]] = {}
    testg_counts = dict(testg_boxes=0, testg_conflicts=0)

    def assign(name: str,
               box: np.ndarray,
               pid: int,
               source: str,
               from_testg: bool = False) -> None:
        """Label the ``Images.mat`` box of ``name`` that ``box`` matches;
        with ``from_testg`` it also takes the reference geometry of
        ``box``."""
        if name not in where:
            raise ValueError(f'{source}: image {name} is not in Images.mat')
        builder = builders[where[name][0]]
        anns = builder.annotations
        # identical boxes may hold two persons: take a free one first
        free = [
            i for i in index.candidates(name, box) if anns[i]['person_id'] in (-1, pid)
        ]
        if not free:
            raise ValueError(f'{source}: box {box.tolist()} of id {pid} '
                             f'matches no box of {name} in Images.mat')
        anns[free[0]]['person_id'] = pid
        if not from_testg:
            return
        ref = reference_box(box)
        if free[0] not in testg_box:
            testg_box[free[0]] = ref
            if anns[free[0]]['bbox'] != ref:
                builder.set_box(free[0], ref)
                testg_counts['testg_boxes'] += 1
        elif testg_box[free[0]] != ref:
            testg_counts['testg_conflicts'] += 1

    train = load_var(train_mat, 'Train')
    for k, item in enumerate(train):
        struct_fields(item, train_mat, f'Train{{{k + 1}}}', ('idname', 'scene'))
        pid = _pid(item['idname'][0], k + 1)
        scene = struct_fields(item['scene'][0], train_mat, f'Train{{{k + 1}}}.scene',
                              ('imname', 'idlocate'))
        for name, loc in zip(scene['imname'], scene['idlocate']):
            assign(name, _box(loc), pid, train_mat)

    def gallery_ids(gallery: Any,
                    pid: int,
                    path: str,
                    k: int,
                    from_testg: bool = False) -> List[int]:
        """Image ids of one gallery list; labels the listed boxes."""
        struct_fields(gallery, path, f'query {k} Gallery', ('imname', 'idlocate'))
        names = gallery['imname']
        ids = [test_ids.get(n) for n in names]
        if None in ids:
            bad = names[ids.index(None)]
            raise ValueError(f'{path}: gallery of query {k} names {bad}, '
                             'which is not a test image of pool.mat')
        for name, loc in zip(names, gallery['idlocate']):
            if loc.size:
                assign(name, _box(loc), pid, path, from_testg)
        return ids

    num_train_ids = len(train)
    queries: List[dict] = []
    query_keys: List[Tuple[str, tuple]] = []
    galleries: Dict[str, List[List[int]]] = {}
    for path in test_mats:
        key = osp.splitext(osp.basename(path))[0]
        lists = []
        for k, item in enumerate(MatFile(path).iter_struct(key)):
            struct_fields(item, path, key, ('Query', 'Gallery'))
            name, box, idname = _query(item['Query'], path, f'{key} query {k}')
            pid = _pid(idname, num_train_ids + k + 1)
            if path == test_mats[0]:
                if name not in test_ids:
                    raise ValueError(f'{path}: query {k} image {name} is '
                                     'not a test image of pool.mat')
                assign(name, box, pid, path, from_testg=True)
                queries.append(
                    dict(
                        image_id=test_ids[name], bbox=reference_box(box),
                        person_id=pid))
                query_keys.append(_qkey(name, box))
            elif k >= len(query_keys) or query_keys[k] != _qkey(name, box):
                raise ValueError(f'{path}: query {k} differs from '
                                 f'{test_mats[0]}')
            lists.append(gallery_ids(item['Gallery'], pid, path, k, from_testg=True))
        if len(lists) != len(query_keys):
            raise ValueError(f'{path}: {len(lists)} queries, '
                             f'{test_mats[0]} has {len(query_keys)}')
        galleries[key[len('TestG'):]] = lists

    subsets: Dict[str, List[int]] = {}
    subset_stats: Dict[str, dict] = {}
    lookup = {qk: k for k, qk in enumerate(query_keys)}
    for file_name, key, subset in SUBSETS:
        path = osp.join(ann_dir, 'test', 'subset', file_name)
        if not osp.isfile(path):
            continue
        picked, differ = [], 0
        for n, item in enumerate(MatFile(path).iter_struct(key)):
            struct_fields(item, path, key, ('Query', 'Gallery'))
            name, box, _ = _query(item['Query'], path, f'{key} entry {n}')
            k = lookup.get(_qkey(name, box))
            if k is None:
                raise ValueError(f'{path}: {key} entry {n} ({name}, box '
                                 f'{box.tolist()}) is not a TestG query')
            picked.append(k)
            ids = gallery_ids(item['Gallery'], queries[k]['person_id'], path, n)
            same = galleries.get(str(len(ids)))
            differ += same is None or same[k] != ids
        subsets[subset] = picked
        subset_stats[subset] = dict(queries=len(picked), galleries_differ=differ)

    builders['test'].protocol = dict(
        queries=queries, galleries=galleries, subsets=subsets)
    stats = dump_splits(builders, out_dir)
    stats['test'].update(
        gallery_sizes=sorted(map(int, galleries)), subsets=subset_stats, **testg_counts)
    if verbose:
        print(format_summary('CUHK-SYSU', stats))
        print(f'gallery sizes: {stats["test"]["gallery_sizes"]}; subsets '
              '(queries, galleries differing from the TestG list of their '
              f'size): {subset_stats}')
        print(f'test boxes given their TestG geometry (differs from '
              f'Images.mat): {testg_counts["testg_boxes"]}; boxes with '
              f'conflicting TestG geometries: '
              f'{testg_counts["testg_conflicts"]}')
    return stats
