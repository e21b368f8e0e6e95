"""Ranked hits of protocol queries, from saved results, as a picture."""
import json
import os.path as osp
import warnings
from typing import Dict, List, NamedTuple, Optional, Sequence, Union

import mmcv
import numpy as np

from mmps.evaluation.functional import (SearchProtocol, check_record, load_protocol,
                                        load_results)
from mmps.structures import paired_iou, search_iou_threshold
from .person_search_visualizer import PersonSearchVisualizer, SearchRow


class RankedHit(NamedTuple):
    """One gallery detection in a query's ranking.

    Attributes:
        img (int): image index in the protocol.
        box (np.ndarray): (4,) x1y1x2y2 box.
        similarity (float): dot product with the query embedding.
        is_true (bool): the query person's true positive under the
            protocol's rule.
    """

    img: int
    box: np.ndarray
    similarity: float
    is_true: bool


def check_hits_request(protocol: SearchProtocol,
                       queries: Sequence[int],
                       gallery_size: Union[int, str] = 'full',
                       topk: int = 5) -> str:
    """Check a drawing request against the protocol before any work.

    Args:
        protocol (SearchProtocol): the test protocol.
        queries (Sequence[int]): (K,) query indices to draw.
        gallery_size (int | str): a gallery size of the protocol or
            ``'full'``. Defaults to ``'full'``.
        topk (int): hits per query, at least 1. Defaults to 5.

    Returns:
        str: the gallery setting's name (``'full'`` or a key of
        ``protocol.galleries``).

    Raises:
        ValueError: a one-line message naming the bad value: a query index
            out of range, a gallery size the protocol lacks (with the
            available ones) or ``topk`` below 1.
    """
    protocol.check_query_indices(queries)
    if topk < 1:
        raise ValueError(f'topk must be at least 1, got {topk}')
    return protocol.check_gallery_size(gallery_size)


def rank_query(protocol: SearchProtocol, records: Dict[int, dict], q: int,
               gallery: Optional[np.ndarray], score_thr: float,
               topk: int) -> List[RankedHit]:
    """The top-k gallery detections of query ``q``, labelled true or false.

    A hit is true when it reaches the IoU threshold of the first
    ground-truth box of the query person in its image, and no more similar
    hit of that image did (one true positive per image).

    Args:
        protocol (SearchProtocol): the test protocol.
        records (dict[int, dict]): checked records by image index.
        q (int): query index.
        gallery (np.ndarray | None): (L,) gallery image indices, or None
            for every other image.
        score_thr (float): minimum score of the searched detections.
        topk (int): hits to return.

    Returns:
        list[RankedHit]: at most ``topk`` hits, most similar first.
    """
    qimg = protocol.query_imgs[q]
    qrec = records[qimg]
    row = np.flatnonzero(qrec['query_indices'] == q)[0]
    qfeat = qrec['query_embeddings'][row]
    imgs = range(protocol.num_images) if gallery is None else gallery
    hits = []
    for i in imgs:
        rec = records[int(i)]
        if i == qimg:
            continue
        keep = rec['scores'] >= score_thr
        for box, sim in zip(rec['bboxes'][keep], rec['embeddings'][keep] @ qfeat):
            hits.append((int(i), box, float(sim)))
    hits.sort(key=lambda h: -h[2])
    found, out = set(), []
    for img, box, sim in hits[:topk]:
        gts = np.flatnonzero((protocol.gt_imgs == img)
                             & (protocol.gt_pids == protocol.query_pids[q]))
        is_true = False
        if gts.size and img not in found:
            gt = protocol.gt_boxes[gts[:1]]
            is_true = bool(paired_iou(box[None], gt)[0] >= search_iou_threshold(gt)[0])
            if is_true:
                found.add(img)
        out.append(RankedHit(img, box, sim, is_true))
    return out


def load_image_or_canvas(path: str, width: int, height: int) -> np.ndarray:
    """The RGB image at ``path``, or a grey ``height`` x ``width`` canvas
    (with a warning) when the file is absent."""
    if osp.isfile(path):
        return mmcv.imread(path, channel_order='rgb')
    warnings.warn(f'{path} not found; drawing on a blank canvas')
    return np.full((height, width, 3), 217, np.uint8)


def draw_protocol_hits(
        ann_file: str,
        results_file: str,
        queries: Sequence[int] = (0, ),
        gallery_size: Union[int, str] = 'full',
        score_thr: float = 0.5,
        topk: int = 5,
        img_prefix: str = '',
        out_file: str = 'search_hits.png',
        visualizer: Optional[PersonSearchVisualizer] = None) -> np.ndarray:
    """Draw chosen protocol queries and their top-k hits from saved results.

    The request is checked (:func:`check_hits_request`) before the results
    are read. Row ``r`` shows query ``queries[r]`` (its box in the
    visualizer's query color, titled ``query q``), then its ``topk`` most
    similar gallery detections, true ones in green and false ones in red.

    Args:
        ann_file (str): test annotation JSON holding the protocol.
        results_file (str): results pickle (``PersonSearchMetric``'s
            ``outfile_path`` or ``tools/test.py --out``).
        queries (Sequence[int]): query indices. Defaults to (0, ).
        gallery_size (int | str): gallery setting. Defaults to ``'full'``.
        score_thr (float): minimum score of the searched detections.
            Defaults to 0.5.
        topk (int): hits per query. Defaults to 5.
        img_prefix (str): folder the images' file names are relative to.
            Defaults to '' (the current folder).
        out_file (str): PNG to write. Defaults to 'search_hits.png'.
        visualizer (PersonSearchVisualizer, optional): the drawing
            settings. Defaults to a :class:`PersonSearchVisualizer` with
            its defaults.

    Returns:
        np.ndarray: the RGB picture.

    Raises:
        ValueError: a bad request (before reading ``results_file``) or
            results that do not match the protocol.
    """
    with open(ann_file) as f:
        ann = json.load(f)
    protocol = load_protocol(ann)
    gallery_size = check_hits_request(protocol, queries, gallery_size, topk)
    records = {}
    for raw in load_results(results_file):
        rec = check_record(raw)
        index = protocol.image_index([rec['img_id']], 'the results')[0]
        records[int(index)] = rec
    images = {img['id']: img for img in ann['images']}
    cache: Dict[int, np.ndarray] = {}

    def image(index: int) -> np.ndarray:
        if index not in cache:
            meta = images[int(protocol.img_ids[index])]
            cache[index] = load_image_or_canvas(
                osp.join(img_prefix, meta['file_name']), meta['width'], meta['height'])
        return cache[index]

    gallery = protocol.galleries.get(gallery_size)
    rows = []
    for q in queries:
        hits = rank_query(protocol, records, q, None if gallery is None else gallery[q],
                          score_thr, topk)
        rows.append(
            SearchRow(
                query_image=image(protocol.query_imgs[q]),
                query_box=protocol.query_boxes[q],
                hit_images=[image(hit.img) for hit in hits],
                hit_boxes=np.array([hit.box for hit in hits]).reshape(-1, 4),
                similarities=np.array([hit.similarity for hit in hits]),
                hit_is_true=np.array([hit.is_true for hit in hits], bool),
                title=f'query {q}'))
    visualizer = visualizer or PersonSearchVisualizer()
    return visualizer.visualize_search(rows, out_file=out_file)
