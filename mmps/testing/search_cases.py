"""Synthetic person-search evaluation cases, for the tests and the
evaluator benchmark (``tools/analysis_tools/benchmark_eval.py``).

- :func:`random_search_case`: a tiny random case in the arrays of
  :func:`~mmps.evaluation.functional.eval_search`, with the corner cases the
  protocol has to get right;
- :func:`make_search_case` and :func:`search_case_records`: a large case
  shaped like CUHK-SYSU or PRW, as arrays and as per-image records;
- :func:`make_search_split`: a small test split as an annotation dict
  (docs/design.md) with matching per-image records, and
  :func:`record_to_sample`, the model output sample of a record.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mmps.evaluation.functional import SearchProtocol


def random_search_case(rng: np.random.Generator,
                       dim: int = 3,
                       dyadic: bool = True) -> Tuple[dict, List[np.ndarray]]:
    """A small random case: empty images, duplicate detections, person ids
    repeated on several boxes of one image, and (``dyadic``) exact ties.

    Args:
        rng (np.random.Generator): the random source.
        dim (int): embedding size D. Defaults to 3.
        dyadic (bool): embeddings of quarter-integers, so that every dot
            product is exact and ties stay ties; otherwise unit Gaussian
            embeddings, whose similarities (almost surely) never tie.
            Defaults to True.

    Returns:
        tuple[dict, list[np.ndarray]]: keyword arguments of ``eval_search``
        (without ``galleries``), and a per-query gallery list of image
        indices.
    """
    num_images = int(rng.integers(1, 7))
    cams = rng.integers(0, 3, num_images)
    gt_boxes, gt_imgs, gt_pids = [], [], []
    for i in range(num_images):
        n = int(rng.integers(0, 4))
        pids = list(rng.permutation(5)[:n] - 1)
        boxes = []
        for _ in pids:
            x, y = rng.integers(0, 50, 2)
            w, h = rng.integers(4, 60, 2)
            boxes.append([x, y, x + w, y + h])
        labelled = [k for k, p in enumerate(pids) if p >= 0]
        if labelled and rng.random() < 0.4:
            # the id again on another box, before or after the first one,
            # either a shifted copy (a detection may fit both) or elsewhere
            k = int(rng.choice(labelled))
            if rng.random() < 0.5:
                box = list(np.asarray(boxes[k]) + rng.integers(-3, 4, 4))
            else:
                x, y = rng.integers(0, 50, 2)
                box = [x, y, x + rng.integers(4, 60), y + rng.integers(4, 60)]
            at = int(rng.integers(0, len(pids) + 1))
            pids.insert(at, pids[k])
            boxes.insert(at, box)
        gt_boxes += boxes
        gt_imgs += [i] * len(pids)
        gt_pids += pids
    gt_boxes = np.array(gt_boxes, float).reshape(-1, 4)
    gt_imgs, gt_pids = np.array(gt_imgs, int), np.array(gt_pids, int)
    det_boxes, det_imgs = [], []
    for i in range(num_images):
        for _ in range(int(rng.integers(0, 5))):
            own = np.flatnonzero(gt_imgs == i)
            if own.size and rng.random() < 0.7:
                box = gt_boxes[rng.choice(own)] + rng.integers(-2, 3, 4)
            else:
                x, y = rng.integers(0, 50, 2)
                box = [x, y, x + rng.integers(2, 60), y + rng.integers(2, 60)]
            det_boxes.append(box)
            det_imgs.append(i)
    det_boxes = np.array(det_boxes, float).reshape(-1, 4)
    det_imgs = np.array(det_imgs, int)
    num_dets = len(det_imgs)
    det_feats = _random_feats(rng, num_dets, dim, dyadic)
    det_scores = rng.choice([0.3, 0.5, 0.9, 0.9], num_dets)
    labelled = np.flatnonzero(gt_pids >= 0)
    num_queries = int(rng.integers(1, 5))
    if labelled.size:
        picks = rng.choice(labelled, num_queries)
        query_imgs, query_pids = gt_imgs[picks], gt_pids[picks]
    else:
        query_imgs = rng.integers(0, num_images, num_queries)
        query_pids = rng.integers(-1, 4, num_queries)
    query_feats = _random_feats(rng, num_queries, dim, dyadic)
    gallery = [
        rng.choice(num_images, int(rng.integers(0, num_images + 1)), replace=False)
        for _ in range(num_queries)
    ]
    return dict(
        query_feats=query_feats,
        query_imgs=query_imgs,
        query_pids=query_pids,
        det_boxes=det_boxes,
        det_scores=det_scores,
        det_feats=det_feats,
        det_imgs=det_imgs,
        gt_boxes=gt_boxes,
        gt_imgs=gt_imgs,
        gt_pids=gt_pids,
        num_images=num_images,
        img_cams=cams), gallery


def _random_feats(rng: np.random.Generator, num: int, dim: int,
                  dyadic: bool) -> np.ndarray:
    """(num, dim) quarter-integer or unit Gaussian embeddings."""
    if dyadic:
        return rng.integers(-2, 3, (num, dim)) / 4.0
    feats = rng.normal(size=(num, dim))
    return feats / np.linalg.norm(feats, axis=1, keepdims=True)


def make_search_case(num_queries: int,
                     num_images: int,
                     num_ids: int,
                     occurrences: Tuple[int, int],
                     sizes: Sequence[int],
                     dim: int = 256,
                     seed: int = 0) -> Tuple[dict, dict, np.ndarray]:
    """A large synthetic split: about 5 persons and 6 kept detections per
    image; queries are labelled occurrences.

    Embeddings are the person's identity vector plus noise, L2-normalised,
    so that mAP falls with the gallery size as on the real data; detections
    are jittered ground-truth boxes, duplicates and false alarms.

    Args:
        num_queries (int): queries Q (at most the labelled boxes).
        num_images (int): images I.
        num_ids (int): labelled identities.
        occurrences (tuple[int, int]): least and most images per identity.
        sizes (Sequence[int]): gallery sizes to draw lists for.
        dim (int): embedding size. Defaults to 256.
        seed (int): the random seed. Defaults to 0.

    Returns:
        tuple[dict, dict, np.ndarray]: keyword arguments of
        ``eval_search`` (without ``galleries``), the galleries (size ->
        Q image index arrays, and ``'full'`` -> None), and the (Q,)
        ground-truth index of each query.
    """
    rng = np.random.default_rng(seed)
    cams = rng.integers(0, 6, num_images)
    # labelled occurrences: each id in a few distinct images
    counts = rng.integers(occurrences[0], occurrences[1] + 1, num_ids)
    gt_imgs = np.concatenate([rng.choice(num_images, c, replace=False) for c in counts])
    gt_pids = np.repeat(np.arange(num_ids), counts)
    extra = rng.integers(0, num_images, 5 * num_images - len(gt_imgs))
    gt_imgs = np.r_[gt_imgs, extra]
    gt_pids = np.r_[gt_pids, np.full(len(extra), -1)]
    num_gt = len(gt_imgs)
    wh = rng.uniform(20, 120, (num_gt, 1)) * [1.0, 2.5]
    xy = rng.uniform(0, 600, (num_gt, 2))
    gt_boxes = np.c_[xy, xy + wh]
    # detections: most persons found (jittered), duplicates, false alarms
    found = np.flatnonzero(rng.random(num_gt) < 0.9)
    dup = rng.choice(found, len(found) // 5)
    src = np.r_[found, dup]
    det_boxes = gt_boxes[src] + rng.normal(0, 4, (len(src), 4))
    fa = rng.integers(0, num_images, 2 * num_images)
    fa_xy = rng.uniform(0, 600, (len(fa), 2))
    det_boxes = np.r_[det_boxes, np.c_[fa_xy, fa_xy + [50, 120]]]
    det_imgs = np.r_[gt_imgs[src], fa]
    det_scores = np.r_[rng.uniform(0.6, 1, len(src)), rng.uniform(0, 1, len(fa))]
    identity = rng.normal(size=(num_ids, dim))
    base = np.r_[identity[np.maximum(gt_pids[src], 0)] * (gt_pids[src] >= 0)[:, None],
                 np.zeros((len(fa), dim))]
    det_feats = base + rng.normal(0, 1.7, (len(det_imgs), dim))
    det_feats /= np.linalg.norm(det_feats, axis=1, keepdims=True)
    labelled = np.flatnonzero(gt_pids >= 0)
    picks = rng.choice(labelled, num_queries, replace=False)
    query_feats = identity[gt_pids[picks]] + rng.normal(0, 1.7, (num_queries, dim))
    query_feats /= np.linalg.norm(query_feats, axis=1, keepdims=True)
    galleries: Dict[str, Optional[List[np.ndarray]]] = {}
    for size in sizes:
        lists = []
        for q in picks:
            own = gt_imgs[(gt_pids == gt_pids[q])]
            fill = rng.choice(num_images, size + len(own) + 1, replace=False)
            fill = fill[~np.isin(fill, np.r_[own, gt_imgs[q]])]
            lists.append(np.r_[own[own != gt_imgs[q]], fill][:size].astype(np.int64))
        galleries[str(size)] = lists
    galleries['full'] = None
    return dict(
        query_feats=query_feats,
        query_imgs=gt_imgs[picks],
        query_pids=gt_pids[picks],
        det_boxes=det_boxes,
        det_scores=det_scores,
        det_feats=det_feats,
        det_imgs=det_imgs,
        gt_boxes=gt_boxes,
        gt_imgs=gt_imgs,
        gt_pids=gt_pids,
        num_images=num_images,
        img_cams=cams), galleries, picks


def search_case_records(
        case: dict,
        picks: np.ndarray,
        galleries: Optional[dict] = None) -> Tuple[List[dict], SearchProtocol]:
    """Per-image records and the protocol of a :func:`make_search_case`
    case, as the metric would see them.

    Args:
        case (dict): the case's ``eval_search`` arguments.
        picks (np.ndarray): (Q,) ground-truth index of each query.
        galleries (dict, optional): the case's galleries; the lists of
            numeric sizes become the protocol's. Defaults to None (none).

    Returns:
        tuple[list[dict], SearchProtocol]: one record per image (image id =
        index) and the protocol.
    """
    num_images = case['num_images']
    det_order = np.argsort(case['det_imgs'], kind='stable')
    det_split = np.cumsum(np.bincount(case['det_imgs'], minlength=num_images))[:-1]
    gt_order = np.argsort(case['gt_imgs'], kind='stable')
    gt_split = np.cumsum(np.bincount(case['gt_imgs'], minlength=num_images))[:-1]
    gt_feats = np.zeros((len(case['gt_imgs']), case['det_feats'].shape[1]))
    gt_feats[:, 0] = 1.0
    gt_feats[picks] = case['query_feats']
    query_index = np.full(len(case['gt_imgs']), -1)
    query_index[picks] = np.arange(len(picks))
    records = [
        dict(
            img_id=i,
            bboxes=case['det_boxes'][d],
            scores=case['det_scores'][d],
            embeddings=case['det_feats'][d],
            query_bboxes=case['gt_boxes'][g],
            query_embeddings=gt_feats[g],
            query_indices=query_index[g]) for i, (d, g) in enumerate(
                zip(np.split(det_order, det_split), np.split(gt_order, gt_split)))
    ]
    protocol = SearchProtocol(
        dataset='synthetic',
        img_ids=np.arange(num_images),
        img_cams=case['img_cams'],
        gt_boxes=case['gt_boxes'],
        gt_imgs=case['gt_imgs'],
        gt_pids=case['gt_pids'],
        query_imgs=case['query_imgs'],
        query_boxes=case['gt_boxes'][picks],
        query_pids=case['query_pids'],
        galleries={k: v
                   for k, v in (galleries or {}).items() if v is not None})
    return records, protocol


def make_search_split(num_images: int = 10,
                      num_persons: int = 6,
                      seed: int = 0,
                      dim: int = 8) -> Tuple[dict, List[dict]]:
    """A small test split: annotation dict and matching per-image records.

    Each image (id ``100 + i``, 400 x 300, camera ``i % 3``) holds three
    60 x 150 persons, the last unlabelled. Detections are the ground-truth
    boxes shifted by a few pixels plus one false positive per image
    (score 0.55); embeddings are the person's identity vector plus noise,
    L2-normalised. The first occurrence of every person is a query; gallery
    sizes 3 and 6 and a query subset ``occlusion`` (queries 0 and 1).

    Args:
        num_images (int): images. Defaults to 10.
        num_persons (int): labelled identities. Defaults to 6.
        seed (int): the random seed. Defaults to 0.
        dim (int): embedding size. Defaults to 8.

    Returns:
        tuple[dict, list[dict]]: the annotation dict (docs/design.md schema)
        and one record per image (see
        :mod:`mmps.evaluation.functional.results_eval`).
    """
    rng = np.random.default_rng(seed)
    identity = rng.normal(size=(num_persons + 1, dim))
    images, anns, records = [], [], []
    first_seen = {}
    for i in range(num_images):
        img_id = 100 + i
        images.append(
            dict(id=img_id, file_name=f'{i}.jpg', width=400, height=300, cam_id=i % 3))
        pids = rng.permutation(num_persons)[:3]
        pids[2] = -1  # one unlabelled person per image
        boxes, feats = [], []
        for k, pid in enumerate(pids):
            x, y = 20 + 120 * k, 30 + rng.integers(0, 20)
            box = [float(x), float(y), 60.0, 150.0]
            anns.append(
                dict(
                    id=len(anns),
                    image_id=img_id,
                    category_id=1,
                    bbox=box,
                    area=9000.0,
                    iscrowd=0,
                    person_id=int(pid)))
            boxes.append([x, y, x + 60.0, y + 150.0])
            feats.append(identity[pid] + 0.3 * rng.normal(size=dim))
            if pid >= 0:
                first_seen.setdefault(int(pid), (img_id, box, len(anns) - 1))
        boxes = np.array(boxes)
        feats = np.array(feats)
        det_boxes = np.concatenate(
            [boxes + rng.integers(-3, 4, boxes.shape), [[300, 200, 350, 280]]])
        det_feats = np.concatenate([feats, rng.normal(size=(1, dim))])
        det_feats = det_feats + 0.1 * rng.normal(size=det_feats.shape)
        records.append(
            dict(
                img_id=img_id,
                bboxes=det_boxes.astype(np.float32),
                scores=np.r_[rng.uniform(0.6, 1, 3), 0.55].astype(np.float32),
                embeddings=_unit(det_feats).astype(np.float32),
                query_bboxes=boxes.astype(np.float32),
                query_embeddings=_unit(feats).astype(np.float32),
                query_indices=np.full(3, -1, dtype=np.int64)))
    queries = []
    for pid in sorted(first_seen):
        img_id, box, _ = first_seen[pid]
        queries.append(dict(image_id=img_id, bbox=box, person_id=pid))
        rec = records[img_id - 100]
        row = int(
            np.flatnonzero(
                np.all(np.isclose(rec['query_bboxes'][:, :2], box[:2]), axis=1))[0])
        rec['query_indices'][row] = len(queries) - 1
    img_ids = [img['id'] for img in images]
    galleries = {}
    for size in (3, 6):
        lists = []
        for q in queries:
            others = [i for i in img_ids if i != q['image_id']]
            lists.append([int(i) for i in rng.choice(others, size, replace=False)])
        galleries[str(size)] = lists
    ann = dict(
        info=dict(dataset='synthetic', split='test'),
        categories=[dict(id=1, name='person')],
        images=images,
        annotations=anns,
        protocol=dict(
            queries=queries, galleries=galleries, subsets=dict(occlusion=[0, 1])))
    return ann, records


def _unit(x: np.ndarray) -> np.ndarray:
    """Rows of ``x`` scaled to unit length."""
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def record_to_sample(record: dict) -> DetDataSample:
    """The output data sample of a model for one per-image record.

    Args:
        record (dict): a per-image record.

    Returns:
        DetDataSample: ``img_id`` in its metainfo, ``pred_instances``
        (``bboxes``, ``scores``, ``labels`` all 0, ``embeddings``) and
        ``pred_query_instances`` (``bboxes``, ``embeddings``,
        ``query_indices``), as tensors of their own memory; ``to_dict()``
        gives the form evaluators receive.
    """
    record = {k: np.array(v) for k, v in record.items()}
    sample = DetDataSample(metainfo=dict(img_id=int(record['img_id'])))
    sample.pred_instances = InstanceData(
        bboxes=torch.from_numpy(record['bboxes']),
        scores=torch.from_numpy(record['scores']),
        labels=torch.zeros(len(record['scores']), dtype=torch.long),
        embeddings=torch.from_numpy(record['embeddings']))
    sample.pred_query_instances = InstanceData(
        bboxes=torch.from_numpy(record['query_bboxes']),
        embeddings=torch.from_numpy(record['query_embeddings']),
        query_indices=torch.from_numpy(record['query_indices']))
    return sample
