"""Evaluate per-image model outputs against a :class:`SearchProtocol`.

A per-image record (what ``PersonSearchMetric.process`` stores and what
``--out`` dumps) is a dict of NumPy arrays:

- ``img_id`` (int)
- ``bboxes`` (N, 4) x1y1x2y2, ``scores`` (N,), ``embeddings`` (N, D):
  gallery-mode detections (``pred_instances``)
- ``query_bboxes`` (M, 4), ``query_embeddings`` (M, D), ``query_indices``
  (M,): query-mode ground-truth boxes (``pred_query_instances``); index -1
  marks a ground-truth box that is not a query.
"""
import pickle
import warnings
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmps.structures import paired_iou
from .cbgm import SEQNET_CBGM_K
from .det_eval import eval_detection
from .protocol import SearchProtocol
from .search_eval import SearchResult, eval_search

#: Tolerance on ``|norm - 1|`` of an embedding before it counts as
#: not L2-normalised.
NORM_TOL = 1e-3


def _numpy(value) -> np.ndarray:
    """A tensor (any device) or array-like as a NumPy array."""
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _field(obj, key: str):
    """``obj[key]`` for dicts, ``obj.key`` for data elements; else None."""
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def to_record(sample) -> dict:
    """Turn one output data sample into a per-image record.

    Accepts a ``DetDataSample`` or its ``to_dict()`` form (what evaluators
    and ``tools/test.py --out`` see); tensors may live on any device.

    Args:
        sample: an output sample with ``img_id``, ``pred_instances``
            (``bboxes``, ``scores``, ``embeddings``) and, when the image
            holds ground-truth boxes, ``pred_query_instances`` (``bboxes``,
            ``embeddings``, ``query_indices``).

    Returns:
        dict: the record (see the module docstring); arrays keep the
        model's dtypes.
    """
    img_id = _field(sample, 'img_id')
    if img_id is None:
        raise ValueError(f'a {type(sample).__name__} without img_id is not an output '
                         'sample')
    pred = _field(sample, 'pred_instances')
    if pred is None:
        raise ValueError(f'image {img_id}: the sample has no pred_instances')
    query = _field(sample, 'pred_query_instances')
    record = dict(img_id=int(img_id))
    for key in ('bboxes', 'scores', 'embeddings'):
        value = _field(pred, key)
        if value is None:
            raise ValueError(f'image {img_id}: pred_instances has no {key}')
        record[key] = _numpy(value)
    for key, name in (('bboxes', 'query_bboxes'), ('embeddings', 'query_embeddings'),
                      ('query_indices', 'query_indices')):
        value = None if query is None else _field(query, key)
        if value is None and query is not None:
            raise ValueError(f'image {img_id}: pred_query_instances has no {key}')
        record[name] = (
            np.zeros((0,
                      4) if key == 'bboxes' else 0) if value is None else _numpy(value))
    return record


def load_results(path: str) -> List[dict]:
    """Per-image records from a results pickle.

    Accepts ``PersonSearchMetric(outfile_path=...)`` dumps (records) and
    ``tools/test.py --out`` dumps (output data samples as dicts).

    Raises:
        ValueError: One line starting with ``path``: the file is not a
            pickle (cut short, another format), does not hold a list, or an
            item is neither a record nor an output sample (its index).
    """
    with open(path, 'rb') as f:
        try:
            items = pickle.load(f)
        except Exception as err:  # unpickling raises many types
            raise ValueError(f'{path}: not a results pickle ({f.tell()} bytes '
                             f'read; {type(err).__name__}: {err})') from None
    if not isinstance(items, (list, tuple)):
        raise ValueError(f'{path}: holds a {type(items).__name__}, expected a list of '
                         'per-image results (PersonSearchMetric outfile_path or '
                         'tools/test.py --out)')
    records = []
    for k, item in enumerate(items):
        if isinstance(item, dict) and 'embeddings' in item:
            records.append(item)
            continue
        try:
            records.append(to_record(item))
        except (TypeError, ValueError) as err:
            raise ValueError(f'{path}: item {k}: {err}') from None
    return records


def check_record(record: dict, normalize: bool = False) -> dict:
    """Validate (and optionally L2-normalise) one per-image record.

    Args:
        record (dict): a per-image record (see the module docstring).
        normalize (bool): divide embeddings by their norm instead of only
            reporting those that are not unit length.

    Returns:
        dict: the record as float64 / int64 arrays, plus ``unnormalized``
        (bool) telling whether some embedding was not unit length.

    Raises:
        ValueError: naming the image, on mismatched counts or shapes,
            NaN / inf values, or missing keys.
    """
    img = record.get('img_id')
    try:
        out = dict(
            img_id=int(img),
            bboxes=np.asarray(record['bboxes'], np.float64).reshape(-1, 4),
            scores=np.asarray(record['scores'], np.float64).ravel(),
            embeddings=np.asarray(record['embeddings'], np.float64),
            query_bboxes=np.asarray(record['query_bboxes'], np.float64).reshape(-1, 4),
            query_embeddings=np.asarray(record['query_embeddings'], np.float64),
            query_indices=np.asarray(record['query_indices'], np.int64).ravel())
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f'image {img}: malformed result ({err})') from err
    unnormalized = False
    for prefix, count in (('', len(out['bboxes'])), ('query_',
                                                     len(out['query_bboxes']))):
        emb = out[f'{prefix}embeddings']
        if emb.size == 0 and count == 0:
            emb = emb.reshape(0, emb.shape[-1] if emb.ndim == 2 else 0)
        if emb.ndim != 2 or emb.shape[0] != count:
            raise ValueError(
                f'image {img}: {count} {prefix}bboxes but {prefix}embeddings '
                f'of shape {emb.shape}')
        for key in (f'{prefix}bboxes', f'{prefix}embeddings'):
            value = emb if key.endswith('embeddings') else out[key]
            if not np.isfinite(value).all():
                raise ValueError(f'image {img}: {key} contain NaN or inf')
        norms = np.linalg.norm(emb, axis=1)
        if normalize:
            if (norms == 0).any():
                raise ValueError(f'image {img}: a zero {prefix}embedding '
                                 'cannot be normalised')
            emb = emb / norms[:, None]
        elif (np.abs(norms - 1) > NORM_TOL).any():
            unnormalized = True
        out[f'{prefix}embeddings'] = emb
    if len(out['scores']) != len(out['bboxes']):
        raise ValueError(f'image {img}: {len(out["bboxes"])} bboxes but '
                         f'{len(out["scores"])} scores')
    if not np.isfinite(out['scores']).all():
        raise ValueError(f'image {img}: scores contain NaN or inf')
    if len(out['query_indices']) != len(out['query_bboxes']):
        raise ValueError(f'image {img}: {len(out["query_bboxes"])} query_bboxes but '
                         f'{len(out["query_indices"])} query_indices')
    out['unnormalized'] = unnormalized
    return out


def _stack(records: List[dict], img_index: np.ndarray, prefix: str):
    """Concatenate boxes (N, 4), embeddings (N, D), image indices (N,)."""
    boxes = [r[f'{prefix}bboxes'] for r in records]
    counts = [len(b) for b in boxes]
    dims = {
        r[f'{prefix}embeddings'].shape[1]
        for r in records if len(r[f'{prefix}bboxes'])
    }
    dim = dims.pop() if len(dims) == 1 else None
    if dims:
        raise ValueError(f'{prefix}embeddings differ in dimension across '
                         'images')
    feats = [
        r[f'{prefix}embeddings'].reshape(len(b), dim or 0)
        for r, b in zip(records, boxes)
    ]
    return (np.concatenate(boxes) if boxes else np.zeros(
        (0, 4)), np.concatenate(feats) if feats else np.zeros(
            (0, 0)), np.repeat(img_index, counts))


def evaluate_results(results: Sequence[dict],
                     protocol: SearchProtocol,
                     search_score_thr: float = 0.5,
                     det_score_thr: float = 0.01,
                     gallery_sizes: Optional[Sequence] = None,
                     cross_camera: bool = False,
                     labeled: bool = False,
                     normalize: bool = False,
                     topk: Sequence[int] = (1, 5, 10),
                     cbgm: bool = False,
                     cbgm_k1: Optional[int] = None,
                     cbgm_k2: Optional[int] = None) -> dict:
    """Run the search and detection protocols on per-image records.

    The two protocols keep detections at their own score thresholds, as
    SeqNet does: the search ranks the gallery detections scoring >=
    ``search_score_thr`` (0.5), while the detection recall and AP count
    every detection scoring >= ``det_score_thr`` (0.01), the threshold of
    published detection figures.

    Args:
        results (Sequence[dict]): per-image records, one per test image
            (duplicates, e.g. from distributed padding, keep the first).
        protocol (SearchProtocol): the test split's protocol.
        search_score_thr (float): minimum score of the gallery detections
            that are searched (and of the CBGM context). Defaults to 0.5.
        det_score_thr (float): minimum score of the detections that the
            detection recall and AP count. Defaults to 0.01.
        gallery_sizes (Sequence, optional): gallery settings to run, among
            the protocol's sizes and ``'full'`` (every other image). Default:
            all of them.
        cross_camera (bool): drop same-camera gallery images (PRW option).
        labeled (bool): also run the search with the ground-truth boxes
            (score 1, query-mode embeddings) as the gallery.
        normalize (bool): L2-normalise embeddings instead of warning.
        topk (Sequence[int]): CMC ranks.
        cbgm (bool): re-rank with context bipartite graph matching
            (:func:`cbgm_match`, SeqNet's rule). The context of a query is
            its image's ``cbgm_k2 - 1`` highest-scoring detections with
            score >= ``search_score_thr`` that do not overlap the query box
            (IoU < 0.5); in labeled mode, its image's other ground-truth
            boxes.
        cbgm_k1 (int, optional): top gallery detections whose images are
            re-ranked. Defaults to SeqNet's value for ``protocol.dataset``
            (:data:`SEQNET_CBGM_K`: CUHK-SYSU 10, PRW 30; 10 otherwise).
        cbgm_k2 (int, optional): persons of the query image in the graph,
            the query included. Defaults to SeqNet's value for the dataset
            (CUHK-SYSU 3, PRW 4; 3 otherwise).

    Returns:
        dict: ``search`` (setting -> :class:`SearchResult`), ``labeled``
        (same, with GT boxes; only if ``labeled``), ``detection``
        (``{'all': (recall, ap), 'labeled': (recall, ap)}``; ``labeled``
        scores the labelled boxes of the images holding one, and skips the
        other images with their detections, as SeqNet's
        ``eval_detection(labeled_only=True)``), ``main`` (the
        headline setting: '100' when present, else 'full'), ``settings``,
        ``num_detections`` (gallery detections of all images) and
        ``max_score`` (their highest score; None without any).
    """
    default_k1, default_k2 = SEQNET_CBGM_K.get(protocol.dataset, (10, 3))
    cbgm_k1 = default_k1 if cbgm_k1 is None else int(cbgm_k1)
    cbgm_k2 = default_k2 if cbgm_k2 is None else int(cbgm_k2)
    if cbgm and (cbgm_k1 < 1 or cbgm_k2 < 1):
        raise ValueError('CBGM needs cbgm_k1 >= 1 and cbgm_k2 >= 1 (the '
                         f'query counts in k2), got cbgm_k1={cbgm_k1}, '
                         f'cbgm_k2={cbgm_k2}')
    records, seen = [], set()
    for raw in results:
        record = check_record(raw, normalize)
        if record['img_id'] not in seen:
            seen.add(record['img_id'])
            records.append(record)
    img_index = protocol.image_index([r['img_id'] for r in records], 'the results')
    unnormalized = [r['img_id'] for r in records if r['unnormalized']]
    if unnormalized:
        warnings.warn(f'embeddings of {len(unnormalized)} images (e.g. image '
                      f'{unnormalized[0]}) are not L2-normalised; similarities are raw '
                      'dot products (pass normalize=True to normalise them)')
    present = np.zeros(protocol.num_images, dtype=bool)
    present[img_index] = True
    missing_q = np.flatnonzero(~present[protocol.query_imgs])
    if missing_q.size:
        q = int(missing_q[0])
        raise ValueError(
            f'query {q} (image id {protocol.img_ids[protocol.query_imgs[q]]})'
            f': its image is missing from the results ({missing_q.size} '
            'queries affected)')
    if not present.all():
        absent = protocol.img_ids[~present]
        raise ValueError(f'{absent.size} test images are missing from the '
                         f'results, e.g. image id {absent[0]}')

    # query embeddings from the query-mode rows
    query_feats: Optional[np.ndarray] = None
    found = np.zeros(protocol.num_queries, dtype=bool)
    for record, idx in zip(records, img_index):
        for row in np.flatnonzero(record['query_indices'] >= 0):
            q = int(record['query_indices'][row])
            if q >= protocol.num_queries or protocol.query_imgs[q] != idx:
                raise ValueError(f'image {record["img_id"]}: query index {q}'
                                 ' does not belong to this image')
            box = record['query_bboxes'][row]
            if np.abs(box - protocol.query_boxes[q]).max() > 1.0:
                raise ValueError(f'image {record["img_id"]}: query {q} has box '
                                 f'{box.tolist()} but the protocol says '
                                 f'{protocol.query_boxes[q].tolist()}: are the results '
                                 'from another annotation file?')
            emb = record['query_embeddings'][row]
            if query_feats is None:
                query_feats = np.zeros((protocol.num_queries, emb.size))
            query_feats[q] = emb
            found[q] = True
    if not found.all():
        q = int(np.flatnonzero(~found)[0])
        raise ValueError(
            f'image {protocol.img_ids[protocol.query_imgs[q]]}: no query-mode'
            f' embedding for query {q} (pred_query_instances with '
            f'query_indices == {q})')
    if query_feats is None:
        query_feats = np.zeros((0, 0))

    settings = dict(
        search_score_thr=search_score_thr,
        det_score_thr=det_score_thr,
        cross_camera=cross_camera,
        normalize=normalize,
        cbgm=cbgm,
        cbgm_k1=cbgm_k1,
        cbgm_k2=cbgm_k2)
    by_index = dict(zip(img_index.tolist(), records))
    names = [
        protocol.check_gallery_size(s)
        for s in (gallery_sizes or protocol.gallery_settings)
    ]
    galleries = {n: protocol.galleries.get(n) for n in names}
    common = dict(
        query_feats=query_feats,
        query_imgs=protocol.query_imgs,
        query_pids=protocol.query_pids,
        gt_boxes=protocol.gt_boxes,
        gt_imgs=protocol.gt_imgs,
        gt_pids=protocol.gt_pids,
        num_images=protocol.num_images,
        galleries=galleries,
        img_cams=protocol.img_cams,
        cross_camera=cross_camera,
        topk=topk)
    boxes, feats, imgs = _stack(records, img_index, '')
    scores = np.concatenate([r['scores'] for r in records])
    _check_dims(query_feats, feats)
    report = dict(
        search=eval_search(
            det_boxes=boxes,
            det_scores=scores,
            det_feats=feats,
            det_imgs=imgs,
            score_thr=search_score_thr,
            cbgm_context=_context(protocol, by_index, cbgm_k2, search_score_thr, False)
            if cbgm else None,
            cbgm_k1=cbgm_k1,
            **common),
        main='100' if '100' in names else ('full' if 'full' in names else names[0]),
        settings=settings,
        num_detections=len(scores),
        max_score=float(scores.max()) if len(scores) else None)
    labelled_gt = protocol.gt_pids >= 0
    # labelled boxes only, as SeqNet's eval_detection(labeled_only=True):
    # images without a labelled person are skipped, detections included
    labelled_img = np.zeros(protocol.num_images, dtype=bool)
    labelled_img[protocol.gt_imgs[labelled_gt]] = True
    on_labelled = labelled_img[imgs]
    report['detection'] = {
        'all':
        eval_detection(protocol.gt_boxes, protocol.gt_imgs, boxes, scores, imgs,
                       protocol.num_images, det_score_thr),
        'labeled':
        eval_detection(protocol.gt_boxes[labelled_gt], protocol.gt_imgs[labelled_gt],
                       boxes[on_labelled], scores[on_labelled], imgs[on_labelled],
                       protocol.num_images, det_score_thr)
    }
    if labeled:
        gt_boxes, gt_feats, gt_imgs = _stack(records, img_index, 'query_')
        _check_dims(query_feats, gt_feats)
        report['labeled'] = eval_search(
            det_boxes=gt_boxes,
            det_scores=np.ones(len(gt_imgs)),
            det_feats=gt_feats,
            det_imgs=gt_imgs,
            score_thr=0.0,
            cbgm_context=_context(protocol, by_index, cbgm_k2, search_score_thr, True)
            if cbgm else None,
            cbgm_k1=cbgm_k1,
            **common)
    return report


def _context(protocol: SearchProtocol, by_index: Dict[int, dict], k2: int,
             score_thr: float, labeled: bool) -> List[np.ndarray]:
    """CBGM context per query: Q arrays (C_q, D), C_q <= k2 - 1.

    The query image's detections scoring >= ``score_thr``, most confident
    first, without those overlapping the query box (IoU >= 0.5: the query
    person itself); in labeled mode its other ground-truth boxes.
    """
    context = []
    for q, img in enumerate(protocol.query_imgs):
        record = by_index[int(img)]
        if labeled:
            rows = np.flatnonzero(record['query_indices'] != q)
            feats = record['query_embeddings'][rows]
        else:
            order = np.argsort(-record['scores'], kind='stable')
            order = order[record['scores'][order] >= score_thr]
            boxes = record['bboxes'][order]
            overlap = paired_iou(
                boxes, np.repeat(protocol.query_boxes[q:q + 1], len(order), axis=0))
            feats = record['embeddings'][order[overlap < 0.5]]
        context.append(feats[:max(k2 - 1, 0)])
    return context


def _check_dims(query_feats: np.ndarray, feats: np.ndarray) -> None:
    if len(feats) and len(query_feats) and \
            feats.shape[1] != query_feats.shape[1]:
        raise ValueError(f'gallery embeddings are {feats.shape[1]}-d but '
                         f'query embeddings {query_feats.shape[1]}-d')


def summarize(report: dict, protocol: SearchProtocol) -> Dict[str, float]:
    """Flatten a report into ``{'mAP': .., 'top1': .., ...}``.

    Keys: ``mAP``/``top{k}`` of the headline setting; ``mAP_{setting}``
    and ``top{k}_{setting}`` for every setting; ``{subset}_mAP`` /
    ``{subset}_top{k}`` for protocol query subsets; ``labeled_*`` likewise
    when run; ``det_recall``, ``det_ap``, ``det_recall_labeled``,
    ``det_ap_labeled`` (detections scoring >= ``det_score_thr``),
    ``num_no_occurrence``, ``search_score_thr``, ``det_score_thr``, and
    ``cbgm`` (1.0), ``cbgm_k1``, ``cbgm_k2`` when CBGM re-ranking was on.
    """
    out: Dict[str, float] = {}
    for prefix in ('', 'labeled_'):
        modes: Dict[str, SearchResult] = report.get(prefix.rstrip('_') or 'search')
        if modes is None:
            continue
        main = modes[report['main']].summary()
        for key in ['mAP'] + [k for k in main if k.startswith('top')]:
            out[f'{prefix}{key}'] = main[key]
        for name, res in modes.items():
            for key, val in res.summary().items():
                if key == 'mAP' or key.startswith('top'):
                    out[f'{prefix}{key}_{name}'] = val
        for subset, idx in protocol.subsets.items():
            sub = modes[report['main']].summary(idx)
            for key, val in sub.items():
                if key == 'mAP' or key.startswith('top'):
                    out[f'{prefix}{subset}_{key}'] = val
    det = report['detection']
    out['det_recall'], out['det_ap'] = det['all']
    out['det_recall_labeled'], out['det_ap_labeled'] = det['labeled']
    out['num_no_occurrence'] = float(
        report['search'][report['main']].summary()['num_no_occurrence'])
    settings = report['settings']
    out['search_score_thr'] = float(settings['search_score_thr'])
    out['det_score_thr'] = float(settings['det_score_thr'])
    if settings['cbgm']:
        out['cbgm'] = 1.0
        out['cbgm_k1'] = float(settings['cbgm_k1'])
        out['cbgm_k2'] = float(settings['cbgm_k2'])
    return out


def _threshold_notes(report: dict) -> List[str]:
    """Lines saying that no gallery detection reaches a score threshold,
    which makes the figures it governs 0 whatever the embeddings are."""
    count, top = report['num_detections'], report['max_score']
    if not count:
        return [
            'note: the results hold no gallery detection: the search and '
            'detection figures are 0 (only the labeled rows use ground-truth '
            'boxes)'
        ]
    notes = []
    for key, rows in (('search_score_thr', 'search rows'), ('det_score_thr',
                                                            'detection figures')):
        thr = report['settings'][key]
        if top < thr:
            notes.append(f'note: no gallery detection scores >= {key} {thr} '
                         f'(highest {top:.4g} of {count} detections): the {rows} '
                         'are 0 because nothing passes the threshold; lower it or '
                         'check the detector')
    return notes


def format_table(report: dict, protocol: SearchProtocol) -> str:
    """A plain-text results table of a report (one row per setting),
    followed by a note for each score threshold that no gallery detection
    reaches."""
    settings = report['settings']
    lines = [
        f'person search on {protocol.dataset!r}: {protocol.num_queries} '
        f'queries, {protocol.num_images} images, gallery detections with '
        f'score >= {settings["search_score_thr"]}, cross_camera='
        f'{settings["cross_camera"]}, queries embedded in query mode '
        '(ground-truth boxes)' +
        (f', CBGM re-ranking (k1={settings["cbgm_k1"]}, '
         f'k2={settings["cbgm_k2"]})' if settings.get('cbgm') else '')
    ]
    header = None
    for kind in ('search', 'labeled'):
        modes = report.get(kind)
        if modes is None:
            continue
        rows = [(name, res.summary()) for name, res in modes.items()]
        rows += [(f'{report["main"]}:{subset}', modes[report['main']].summary(idx))
                 for subset, idx in protocol.subsets.items()]
        for name, summ in rows:
            if header is None:
                keys = [k for k in summ if k == 'mAP' or k.startswith('top')]
                header = f'{"gallery":<22}' + ''.join(
                    f'{k:>8}' for k in keys) + f'{"recall":>8}{"no-occ":>8}'
                lines.append(header)
            label = name if kind == 'search' else f'labeled {name}'
            lines.append(f'{label:<22}' + ''.join(f'{100 * summ[k]:8.2f}'
                                                  for k in keys) +
                         f'{100 * summ["recall"]:8.2f}'
                         f'{summ["num_no_occurrence"]:8d}')
    det = report['detection']
    lines.append(f'detection (IoU 0.5, score >= '
                 f'{settings["det_score_thr"]}): recall '
                 f'{100 * det["all"][0]:.2f} '
                 f'AP {100 * det["all"][1]:.2f}; labelled boxes only: '
                 f'recall {100 * det["labeled"][0]:.2f} '
                 f'AP {100 * det["labeled"][1]:.2f}')
    return '\n'.join(lines + _threshold_notes(report))
