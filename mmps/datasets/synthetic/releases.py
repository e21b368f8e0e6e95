"""Write synthetic scenes as miniature CUHK-SYSU and PRW releases.

The files, MATLAB keys, struct nesting and line endings follow the original
releases, so the converters in ``tools/dataset_converters`` run on them
unchanged. Each writer returns a manifest of what it put in (counts, ids,
protocol lists by file name) for tests to compare against.
"""
import os
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np
from scipy.io import savemat

from .generator import SyntheticScenes, write_image

PRW_BOX_KEYS = ('box_new', 'anno_file', 'anno_previous')



def _split_counts(scenes: SyntheticScenes) -> dict:
    """``num_images`` and ``num_boxes`` per split, for a release manifest."""
    splits = ('train', 'test')
    return dict(
        num_images={s: sum(p.split == s for p in scenes.plans) for s in splits},
        num_boxes={
            s: sum(len(p.persons) for p in scenes.plans if p.split == s)
            for s in splits
        })

def _struct(fields: Sequence[str], rows: List[Sequence]) -> np.ndarray:
    """A MATLAB 1 x n struct array with object-valued ``fields``."""
    arr = np.empty((1, len(rows)), dtype=[(f, 'O') for f in fields])
    for k, row in enumerate(rows):
        for f, v in zip(fields, row):
            arr[0, k][f] = v
    return arr


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
                            degenerate_every: int = 0) -> dict:
    """Write ``scenes`` as a CUHK-SYSU release under ``root``.

    Layout: ``Image/SSM/s<k>.jpg``, ``annotation/Images.mat`` (``Img``),
    ``annotation/pool.mat`` (``pool``, test image names),
    ``annotation/test/train_test/Train.mat`` (``Train``) and
    ``TestG<size>.mat`` (``TestG<size>``), plus ``Occlusion.mat`` and
    ``Resolution.mat`` under ``annotation/test/subset``. Identity names are
    ``p<id>``. Every ``degenerate_every``-th image (0: none) gets one extra
    box of zero width, which a converter must drop.
    """
    names = {p.index: f's{p.index + 1}.jpg' for p in scenes.plans}
    for plan, img in zip(scenes.plans, scenes.images):
        write_image(osp.join(root, 'Image', 'SSM', names[plan.index]), img)
    ann_dir = osp.join(root, 'annotation')
    tt_dir = osp.join(ann_dir, 'test', 'train_test')
    sub_dir = osp.join(ann_dir, 'test', 'subset')
    for d in (tt_dir, sub_dir):
        os.makedirs(d, exist_ok=True)
    img_rows, degenerate = [], 0
    for plan in scenes.plans:
        boxes = [_box(p.bbox) for p in plan.persons]
        if degenerate_every and plan.index % degenerate_every == 0:
            boxes.append(_box([3, 3, 0, 10]))
            degenerate += 1
        idlocate = _struct(['idlocate'], [[b] for b in boxes])
        img_rows.append([names[plan.index], float(len(boxes)), idlocate])
    savemat(
        osp.join(ann_dir, 'Images.mat'),
        dict(Img=_struct(['imname', 'nAppear', 'idlocate'], img_rows)))
    test_plans = [p for p in scenes.plans if p.split == 'test']
    savemat(
        osp.join(ann_dir, 'pool.mat'),
        dict(pool=_cell([names[p.index] for p in test_plans])))
    appearances: Dict[int, List[list]] = {}
    for p in scenes.plans:
        if p.split == 'train':
            for q in p.persons:
                appearances.setdefault(q.person_id, []).append(
                    [names[p.index], _box(q.bbox), 0.0])
    train_cells = []
    for pid in scenes.train_ids:
        scene_rows = appearances[pid]
        train_cells.append(
            _struct(['idname', 'nAppear', 'scene'], [[
                f'p{pid}',
                float(len(scene_rows)),
                _struct(['imname', 'idlocate', 'ishard'], scene_rows)
            ]]))
    savemat(osp.join(tt_dir, 'Train.mat'), dict(Train=_cell(train_cells)))

    def query_struct(qi: int, qj: int) -> np.ndarray:
        person = scenes.plans[qi].persons[qj]
        return _struct(['imname', 'idlocate', 'idname'],
                       [[names[qi], _box(person.bbox), f'p{person.person_id}']])

    manifest_galleries = {}
    for size, lists in scenes.galleries.items():
        rows = []
        for (qi, qj), gallery in zip(scenes.queries, lists):
            pid = scenes.plans[qi].persons[qj].person_id
            g_rows = []
            for i in gallery:
                hit = [p for p in scenes.plans[i].persons if p.person_id == pid]
                box = _box(hit[0].bbox) if hit else np.zeros((0, 0))
                g_rows.append([names[i], box, 0.0])
            rows.append([
                query_struct(qi, qj),
                _struct(['imname', 'idlocate', 'ishard'], g_rows)
            ])
        key = f'TestG{size}'
        savemat(
            osp.join(tt_dir, f'{key}.mat'),
            {key: _struct(['Query', 'Gallery'], rows)})
        manifest_galleries[size] = [[names[i] for i in g] for g in lists]
    occluded = [
        k for k, (qi, qj) in enumerate(scenes.queries)
        if scenes.plans[qi].persons[qj].visible_fraction < 0.7
    ]
    heights = [scenes.plans[qi].persons[qj].bbox[3] for qi, qj in scenes.queries]
    tallest = max(heights)
    low_res = [k for k, h in enumerate(heights) if h < 0.6 * tallest]
    for key, subset in (('Occlusion', occluded), ('Resolution', low_res)):
        rows = [[query_struct(*scenes.queries[k])] for k in subset]
        savemat(
            osp.join(sub_dir, f'{key}.mat'), {key: _struct(['Query'], rows)})
    return dict(
        **_split_counts(scenes),
        num_degenerate=degenerate,
        train_ids=list(scenes.train_ids),
        queries=[(names[qi], list(scenes.plans[qi].persons[qj].bbox),
                  scenes.plans[qi].persons[qj].person_id)
                 for qi, qj in scenes.queries],
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
            osp.join(root, f'frame_{split}.mat'),
            {f'img_index_{split}': _cell(frames)})
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
                  scenes.plans[qi].persons[qj].person_id)
                 for qi, qj in scenes.queries],
        cams={names[p.index] + '.jpg': p.cam_id + 1
              for p in scenes.plans},
        names=names)
