"""Write synthetic scenes as miniature CUHK-SYSU, PRW and LSPS releases.

The files, MATLAB keys, struct nesting and line endings follow the original
releases, so the converters of :mod:`mmps.datasets.converters` run on
them unchanged. Each writer returns a manifest of what it put in (counts, ids,
protocol lists by file name) for tests to compare against.
"""
import os
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np
from scipy.io import savemat

from ..matfile import MatStruct, write_mat
from .generator import SyntheticScenes, write_image

PRW_BOX_KEYS = ('box_new', 'anno_file', 'anno_previous')
SCENE_FIELDS = ('imname', 'idlocate', 'ishard')


def _split_counts(scenes: SyntheticScenes) -> dict:
    """``num_images`` and ``num_boxes`` per split, for a release manifest."""
    splits = ('train', 'test')
    return dict(
        num_images={s: sum(p.split == s for p in scenes.plans)
                    for s in splits},
        num_boxes={
            s: sum(len(p.persons) for p in scenes.plans if p.split == s)
            for s in splits
        })


def _cell(items: Sequence) -> np.ndarray:
    """A MATLAB n x 1 cell array."""
    arr = np.empty((len(items), 1), dtype=object)
    for k, item in enumerate(items):
        arr[k, 0] = item
    return arr


def _box(bbox: Sequence[float]) -> np.ndarray:
    return np.asarray(bbox, dtype=np.float64).reshape(1, 4)


def write_cuhk_sysu_release(scenes: SyntheticScenes,
                            root: str,
                            degenerate_every: int = 0,
                            subset_gallery_size: int = 100) -> dict:
    """Write ``scenes`` as a CUHK-SYSU release under ``root``.

    Layout and MATLAB structure follow the release (its README and the
    loaders of the public person-search code bases):

    - ``Image/SSM/s<k>.jpg``;
    - ``annotation/Images.mat``: ``Img``, 1 x n struct (``imname``,
      ``nAppear``, ``box``), ``box`` a struct (``idlocate`` [x y w h],
      ``ishard``) per person;
    - ``annotation/pool.mat``: ``pool``, cell of the test image names;
    - ``annotation/test/train_test/Train.mat``: ``Train``, cell of 1 x 1
      structs (``idname``, ``nAppear``, ``scene``), ``scene`` a struct
      (``imname``, ``idlocate``, ``ishard``) per appearance;
    - ``annotation/test/train_test/TestG<size>.mat``: ``TestG<size>``,
      1 x n struct (``Query``, ``Gallery``); ``Query`` a 1 x 1 struct
      (``imname``, ``idlocate``, ``ishard``, ``idname``), ``Gallery`` a
      1 x size struct (``imname``, ``idlocate``, ``ishard``) whose
      ``idlocate`` is empty where the query identity is absent;
    - ``annotation/test/subset/Occlusion.mat`` (``Occlusion1``: ``Query``,
      ``Gallery``, ``occlusion``) and ``Resolution.mat`` (``Test_Size``:
      ``Query``, ``Gallery``), the subset queries with the gallery list of
      ``subset_gallery_size`` (or the largest size written). What the
      release stores in ``occlusion`` is undocumented; here it is the
      hidden fraction of the person.

    Identity names are ``p<id>``. Every ``degenerate_every``-th image (0:
    none) gets one extra box of zero width, which a converter must drop.
    Files are written with :func:`mmps.datasets.matfile.write_mat`
    (compressed, like MATLAB's default), fast enough for full-size
    stand-ins with TestG50 to TestG4000.
    """
    names = {p.index: f's{p.index + 1}.jpg' for p in scenes.plans}
    for plan, img in zip(scenes.plans, scenes.images):
        write_image(osp.join(root, 'Image', 'SSM', names[plan.index]), img)
    ann_dir = osp.join(root, 'annotation')
    tt_dir = osp.join(ann_dir, 'test', 'train_test')
    sub_dir = osp.join(ann_dir, 'test', 'subset')
    img_rows, degenerate = [], 0
    for plan in scenes.plans:
        boxes = [(_box(p.bbox), 0.0) for p in plan.persons]
        if degenerate_every and plan.index % degenerate_every == 0:
            boxes.append((_box([3, 3, 0, 10]), 0.0))
            degenerate += 1
        img_rows.append((names[plan.index], float(len(boxes)),
                         MatStruct(('idlocate', 'ishard'), boxes)))
    write_mat(
        osp.join(ann_dir, 'Images.mat'),
        dict(Img=MatStruct(('imname', 'nAppear', 'box'), img_rows)))
    test_plans = [p for p in scenes.plans if p.split == 'test']
    write_mat(
        osp.join(ann_dir, 'pool.mat'), dict(pool=[names[p.index] for p in test_plans]))
    appearances: Dict[int, List[tuple]] = {}
    for p in scenes.plans:
        if p.split == 'train':
            for q in p.persons:
                appearances.setdefault(q.person_id, []).append(
                    (names[p.index], _box(q.bbox), 0.0))
    train_cells = [
        MatStruct(('idname', 'nAppear', 'scene'),
                  [(f'p{pid}', float(len(
                      appearances[pid])), MatStruct(SCENE_FIELDS, appearances[pid]))])
        for pid in scenes.train_ids
    ]
    write_mat(osp.join(tt_dir, 'Train.mat'), dict(Train=train_cells))

    queries = [
        MatStruct(SCENE_FIELDS + ('idname', ),
                  [(names[qi], _box(scenes.plans[qi].persons[qj].bbox), 0.0,
                    f'p{scenes.plans[qi].persons[qj].person_id}')])
        for qi, qj in scenes.queries
    ]
    absent = {i: (names[i], np.zeros((0, 0)), 0.0) for i in names}
    boxes_of = {(i, p.person_id): _box(p.bbox)
                for i, plan in enumerate(scenes.plans) for p in plan.persons
                if p.person_id >= 0}

    def gallery_struct(k: int, gallery: np.ndarray) -> MatStruct:
        qi, qj = scenes.queries[k]
        pid = scenes.plans[qi].persons[qj].person_id
        rows = [absent[i] for i in gallery.tolist()]
        for n, i in enumerate(gallery.tolist()):
            if (i, pid) in boxes_of:
                rows[n] = (names[i], boxes_of[(i, pid)], 0.0)
        return MatStruct(SCENE_FIELDS, rows)

    manifest_galleries = {}
    for size, lists in scenes.galleries.items():
        key = f'TestG{size}'
        rows = [(queries[k], gallery_struct(k, g)) for k, g in enumerate(lists)]
        write_mat(
            osp.join(tt_dir, f'{key}.mat'),
            {key: MatStruct(('Query', 'Gallery'), rows)})
        del rows
        manifest_galleries[size] = [[names[i] for i in g.tolist()] for g in lists]
    persons = [scenes.plans[qi].persons[qj] for qi, qj in scenes.queries]
    occluded = [k for k, p in enumerate(persons) if p.visible_fraction < 0.7]
    tallest = max(p.bbox[3] for p in persons)
    low_res = [k for k, p in enumerate(persons) if p.bbox[3] < 0.6 * tallest]
    sizes = sorted(scenes.galleries)
    sub_size = subset_gallery_size if subset_gallery_size in sizes else (sizes[-1])
    sub_lists = scenes.galleries[sub_size]
    write_mat(
        osp.join(sub_dir, 'Occlusion.mat'),
        dict(
            Occlusion1=MatStruct(('Query', 'Gallery', 'occlusion'), [(
                queries[k], gallery_struct(k, sub_lists[k]),
                round(1.0 - persons[k].visible_fraction, 3)) for k in occluded])))
    write_mat(
        osp.join(sub_dir, 'Resolution.mat'),
        dict(
            Test_Size=MatStruct(('Query', 'Gallery'), [(queries[k],
                                                        gallery_struct(k, sub_lists[k]))
                                                       for k in low_res])))
    return dict(
        **_split_counts(scenes),
        num_degenerate=degenerate,
        train_ids=list(scenes.train_ids),
        queries=[(names[qi], list(p.bbox), p.person_id)
                 for (qi, _), p in zip(scenes.queries, persons)],
        galleries=manifest_galleries,
        subsets=dict(occlusion=occluded, low_resolution=low_res),
        names=names)


def write_prw_release(scenes: SyntheticScenes,
                      root: str,
                      degenerate_every: int = 0,
                      newline: str = '\r\n') -> dict:
    """Write ``scenes`` as a PRW release under ``root``.

    Layout: ``frames/c<cam>s1_<index>.jpg``, ``annotations/<frame>.jpg.mat``
    (rows ``[id, x, y, w, h]``, id -2 unlabelled; the box key cycles through
    ``box_new``, ``anno_file`` and ``anno_previous`` like the release's mix),
    ``frame_train.mat`` (``img_index_train``), ``frame_test.mat``
    (``img_index_test``) and ``query_info.txt`` (``id x y w h frame`` lines
    ended by ``newline``; the release uses CRLF). Cameras are numbered from 1.
    """
    names = {p.index: f'c{p.cam_id + 1}s1_{p.index:06d}' for p in scenes.plans}
    ann_dir = osp.join(root, 'annotations')
    os.makedirs(ann_dir, exist_ok=True)
    degenerate = 0
    for plan, img in zip(scenes.plans, scenes.images):
        write_image(osp.join(root, 'frames', names[plan.index] + '.jpg'), img)
        rows = [[p.person_id if p.person_id >= 0 else -2, *p.bbox]
                for p in plan.persons]
        if degenerate_every and plan.index % degenerate_every == 0:
            rows.append([-2, 5.0, 5.0, 6.0, 0.0])
            degenerate += 1
        key = PRW_BOX_KEYS[plan.index % len(PRW_BOX_KEYS)]
        savemat(
            osp.join(ann_dir, names[plan.index] + '.jpg.mat'),
            {key: np.asarray(rows, dtype=np.float64).reshape(-1, 5)})
    for split in ('train', 'test'):
        frames = [names[p.index] for p in scenes.plans if p.split == split]
        savemat(
            osp.join(root, f'frame_{split}.mat'), {f'img_index_{split}': _cell(frames)})
    lines = []
    for qi, qj in scenes.queries:
        p = scenes.plans[qi].persons[qj]
        x, y, w, h = p.bbox
        lines.append(f'{p.person_id} {x:g} {y:g} {w:g} {h:g} {names[qi]}')
    with open(osp.join(root, 'query_info.txt'), 'w', newline='') as f:
        f.write(''.join(line + newline for line in lines))
    return dict(
        **_split_counts(scenes),
        num_degenerate=degenerate,
        train_ids=list(scenes.train_ids),
        queries=[(names[qi] + '.jpg', list(scenes.plans[qi].persons[qj].bbox),
                  scenes.plans[qi].persons[qj].person_id) for qi, qj in scenes.queries],
        cams={names[p.index] + '.jpg': p.cam_id + 1
              for p in scenes.plans},
        names=names)


def _tab_line(fields: Sequence) -> str:
    """Fields joined by tabs; numbers written without a trailing ``.0``."""
    return '\t'.join(f'{v:g}' if isinstance(v, float) else str(v) for v in fields)


def write_lsps_release(scenes: SyntheticScenes,
                       root: str,
                       degenerate_every: int = 0,
                       newline: str = '\n') -> dict:
    """Write ``scenes`` as an LSPS release under ``root``.

    Layout and line formats follow the reader of PCNetPS
    (``lsps_dataset.py``): ``train/`` and ``test/`` hold the frames,
    named ``<split>_<index>_<cam>_0.jpg`` (the camera id is the third
    ``_`` field; cameras numbered from 1); per split,
    ``<split>_frame_coord.txt`` (frame, then x1 y1 x2 y2 per box, each
    field followed by a tab), ``<split>_frame_id.txt`` (frame, then one
    id per box; -1 unlabelled) and ``<split>_shape.txt`` (frame, height,
    width), fields separated by tabs; ``query_info.txt`` holds
    ``id frame x1 y1 x2 y2``. Lines end with ``newline``. Every
    ``degenerate_every``-th image (0: none) gets one extra unlabelled box
    of zero width, which a converter must drop. The coordinate and id
    files skip a frame without boxes (the shape file lists every frame).
    """
    names = {
        p.index: f'{p.split}_{p.index:06d}_{p.cam_id + 1}_0.jpg'
        for p in scenes.plans
    }
    height, width = scenes.image_size
    files: Dict[str, List[str]] = {}
    degenerate = 0
    for plan, img in zip(scenes.plans, scenes.images):
        name = names[plan.index]
        write_image(osp.join(root, plan.split, name), img)
        boxes = [(list(p.bbox), p.person_id) for p in plan.persons]
        if degenerate_every and plan.index % degenerate_every == 0:
            boxes.append(([5.0, 5.0, 0.0, 6.0], -1))
            degenerate += 1
        files.setdefault(f'{plan.split}_shape.txt',
                         []).append(_tab_line([name, height, width]))
        if not boxes:
            continue
        coords = [v for (x, y, w, h), _ in boxes for v in (x, y, x + w, y + h)]
        files.setdefault(f'{plan.split}_frame_coord.txt',
                         []).append(_tab_line([name, *coords]) + '\t')
        files.setdefault(f'{plan.split}_frame_id.txt',
                         []).append(_tab_line([name, *(pid for _, pid in boxes)]))
    queries = []
    for qi, qj in scenes.queries:
        p = scenes.plans[qi].persons[qj]
        x, y, w, h = p.bbox
        queries.append((names[qi], list(p.bbox), p.person_id))
        files.setdefault('query_info.txt', []).append(
            _tab_line([p.person_id, names[qi], x, y, x + w, y + h]))
    for file_name, lines in files.items():
        with open(osp.join(root, file_name), 'w', newline='') as f:
            f.write(''.join(line + newline for line in lines))
    return dict(
        **_split_counts(scenes),
        num_degenerate=degenerate,
        train_ids=list(scenes.train_ids),
        queries=queries,
        cams={names[p.index]: p.cam_id + 1
              for p in scenes.plans},
        names=names)
