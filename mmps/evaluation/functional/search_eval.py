"""Vectorised person-search protocol (CUHK-SYSU / PRW) in NumPy (SciPy's
assignment solver for the optional CBGM re-ranking)."""
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np

from mmps.structures import paired_iou, search_iou_threshold
from .cbgm import cbgm_match
from .image_pairs import expand_image_pairs

#: Bytes the (queries x detections) similarity block may take per chunk.
_BLOCK_BYTES = 64 * 2**20


@dataclass
class SearchResult:
    """Per-query outcome of one gallery setting.

    Attributes:
        ap (np.ndarray): (Q,) average precision times recall per query.
        cmc (np.ndarray): (Q, K) bool, hit within the top ``topk[k]``.
        num_occurrences (np.ndarray): (Q,) gallery images that contain the
            query person (each counted once, however many of its boxes
            carry the id): the recall denominator.
        num_tp (np.ndarray): (Q,) true positives found.
        topk (tuple[int]): the K CMC ranks.
    """

    ap: np.ndarray
    cmc: np.ndarray
    num_occurrences: np.ndarray
    num_tp: np.ndarray
    topk: Tuple[int, ...] = field(default=(1, 5, 10))

    def summary(self, query_mask: Optional[np.ndarray] = None) -> Dict[str, float]:
        """Means over all (or the masked) queries; none is ever skipped.

        Args:
            query_mask (np.ndarray, optional): (Q,) bool or index array
                selecting a query subset.

        Returns:
            dict: ``mAP``, ``top{k}`` for each k, ``recall`` (found true
            positives over occurrences), ``num_queries`` and
            ``num_no_occurrence`` (queries whose person is absent from
            their gallery; they count with AP 0 and top-k 0).
        """
        sel = slice(None) if query_mask is None else query_mask
        ap, cmc = self.ap[sel], self.cmc[sel]
        occ, tp = self.num_occurrences[sel], self.num_tp[sel]
        out = {'mAP': float(ap.mean()) if ap.size else 0.0}
        for i, k in enumerate(self.topk):
            out[f'top{k}'] = float(cmc[:, i].mean()) if ap.size else 0.0
        out['recall'] = float(tp.sum() / max(occ.sum(), 1))
        out['num_queries'] = int(ap.size)
        out['num_no_occurrence'] = int((occ == 0).sum())
        return out


def _gallery_csr(galleries: Sequence[np.ndarray], num_queries: int):
    """Pack per-query gallery image lists as (ptr (Q + 1,), idx (L,))."""
    if len(galleries) != num_queries:
        raise ValueError(f'{len(galleries)} gallery lists for '
                         f'{num_queries} queries')
    lens = np.array([len(g) for g in galleries], dtype=np.int64)
    ptr = np.r_[0, np.cumsum(lens)]
    idx = (
        np.concatenate([np.asarray(g, dtype=np.int64) for g in galleries])
        if lens.sum() else np.zeros(0, dtype=np.int64))
    return ptr, idx


def _occurrence_pairs(query_imgs: np.ndarray, query_pids: np.ndarray,
                      gt_imgs: np.ndarray, gt_pids: np.ndarray,
                      num_images: int) -> Tuple[np.ndarray, np.ndarray]:
    """Occurrences of each query's labelled person: one per image.

    An image counts once even when several of its ground-truth boxes carry
    the query's person id, and its first such box (lowest index, i.e. the
    annotation order) is the one detections are matched against, as in
    SeqNet's ``eval_search_prw``. The query's own image is excluded.

    Args:
        query_imgs (np.ndarray): (Q,) image index of each query.
        query_pids (np.ndarray): (Q,) person id of each query.
        gt_imgs (np.ndarray): (G,) image index of each ground-truth box.
        gt_pids (np.ndarray): (G,) person id of each ground-truth box.
        num_images (int): number of images I.

    Returns:
        tuple[np.ndarray, np.ndarray]: (P,) query ``q`` (ascending) and (P,)
        ground-truth ``g`` indices of the occurrences; (q, image of g) is
        unique.
    """
    order = np.argsort(gt_pids, kind='stable')
    sorted_pids = gt_pids[order]
    lo = np.searchsorted(sorted_pids, query_pids, side='left')
    hi = np.searchsorted(sorted_pids, query_pids, side='right')
    hi = np.where(query_pids >= 0, hi, lo)
    counts = hi - lo
    pair_q = np.repeat(np.arange(len(query_pids)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    pair_g = order[np.repeat(lo, counts) + offsets]
    keep = gt_imgs[pair_g] != query_imgs[pair_q]
    pair_q, pair_g = pair_q[keep], pair_g[keep]
    # pairs run by query, then by ground-truth index: the first pair of
    # each (query, image) key holds the image's first box of the person
    _, first = np.unique(pair_q * num_images + gt_imgs[pair_g], return_index=True)
    first.sort()
    return pair_q[first], pair_g[first]


def eval_search(query_feats: np.ndarray,
                query_imgs: np.ndarray,
                query_pids: np.ndarray,
                det_boxes: np.ndarray,
                det_scores: np.ndarray,
                det_feats: np.ndarray,
                det_imgs: np.ndarray,
                gt_boxes: np.ndarray,
                gt_imgs: np.ndarray,
                gt_pids: np.ndarray,
                num_images: int,
                galleries: Mapping[str, Optional[Sequence[np.ndarray]]],
                img_cams: Optional[np.ndarray] = None,
                cross_camera: bool = False,
                score_thr: float = 0.5,
                topk: Sequence[int] = (1, 5, 10),
                block_size: Optional[int] = None,
                cbgm_context: Optional[Sequence[np.ndarray]] = None,
                cbgm_k1: int = 10) -> Dict[str, SearchResult]:
    """Evaluate person search under one or more gallery settings.

    Images are indexed ``0 .. num_images - 1``. For each query, gallery
    detections with score >= ``score_thr`` are ranked by the dot product of
    their embedding with the query's. Every gallery image that labels the
    query person is one occurrence; its first ground-truth box ``g`` (w x h)
    with the query's id (lowest index, even when more boxes carry the id, as
    in SeqNet) is matched: the most similar detection with IoU >=
    ``min(0.5, w*h / ((w+10)*(h+10)))`` is the image's one true positive;
    all other detections are negatives. AP is scikit-learn's average
    precision over all kept gallery detections times the recall (true
    positives / occurrences), 0 without a true positive. CMC top-k is
    1 when fewer than k detections are strictly more similar than the best
    true positive. The query's own image is never in its gallery.

    Similarities are computed as (block x N) matrix products, and every
    gallery setting reuses them; no Python loop runs over queries or
    detections (only the optional CBGM re-ranking loops over the
    re-ranked (query, image) pairs).

    Args:
        query_feats (np.ndarray): (Q, D) query embeddings.
        query_imgs (np.ndarray): (Q,) image index of each query.
        query_pids (np.ndarray): (Q,) person id of each query.
        det_boxes (np.ndarray): (N, 4) x1y1x2y2 gallery detections.
        det_scores (np.ndarray): (N,) detection scores.
        det_feats (np.ndarray): (N, D) detection embeddings.
        det_imgs (np.ndarray): (N,) image index of each detection.
        gt_boxes (np.ndarray): (G, 4) x1y1x2y2 ground-truth boxes.
        gt_imgs (np.ndarray): (G,) image index of each ground-truth box.
        gt_pids (np.ndarray): (G,) person ids, -1 for unlabelled persons.
        num_images (int): number of images I.
        galleries (Mapping[str, Sequence[np.ndarray] | None]): gallery
            settings by name; each is a length-Q list of (L_q,) image index
            arrays, or None for "every other image".
        img_cams (np.ndarray, optional): (I,) camera id per image, needed by
            ``cross_camera``.
        cross_camera (bool): drop gallery images from the query's camera.
        score_thr (float): minimum score of the gallery detections that
            are searched. Defaults to 0.5.
        topk (Sequence[int]): CMC ranks. Defaults to (1, 5, 10).
        block_size (int, optional): queries per similarity block; by default
            chosen to keep a block near 64 MiB.
        cbgm_context (Sequence[np.ndarray], optional): turns on context
            bipartite graph matching re-ranking (CBGM, SeqNet): Q arrays
            (C_q, D) of embeddings of other persons in each query image.
            Then, per setting, each gallery image holding one of the query's
            ``cbgm_k1`` most similar detections is matched by
            :func:`cbgm_match` between [query, context] and its
            detections; the detection matched to the query gets the
            largest single weight among the matched pairs as its
            similarity (SeqNet's rule).
        cbgm_k1 (int): top detections whose images are re-ranked.
            Defaults to 10.

    Returns:
        dict[str, SearchResult]: one result per gallery setting.

    Example:
        >>> import numpy as np
        >>> box = [0., 0., 50., 100.]
        >>> # query: person 7 in image 0; image 1 holds person 7, detected
        >>> # with similarity 0.6, and a stranger detected with 0.8
        >>> out = eval_search(
        ...     query_feats=np.array([[1., 0.]]), query_imgs=[0],
        ...     query_pids=[7], det_boxes=np.array([box, [60., 0, 110, 100]]),
        ...     det_scores=np.array([0.9, 0.8]),
        ...     det_feats=np.array([[0.6, 0.8], [0.8, 0.6]]),
        ...     det_imgs=np.array([1, 1]), gt_boxes=np.array([box, box]),
        ...     gt_imgs=np.array([0, 1]), gt_pids=np.array([7, 7]),
        ...     num_images=2, galleries={'full': None})
        >>> # the true positive ranks second: AP 1/2, missed at top-1
        >>> float(out['full'].ap[0]), out['full'].cmc[0].tolist()
        (0.5, [False, True, True])
    """
    query_feats = np.asarray(query_feats, dtype=np.float64)
    query_imgs = np.asarray(query_imgs, dtype=np.int64).ravel()
    query_pids = np.asarray(query_pids, dtype=np.int64).ravel()
    gt_boxes = np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 4)
    gt_imgs = np.asarray(gt_imgs, dtype=np.int64).ravel()
    gt_pids = np.asarray(gt_pids, dtype=np.int64).ravel()
    topk = tuple(int(k) for k in topk)
    num_queries = len(query_imgs)
    if cross_camera and img_cams is None:
        raise ValueError('cross_camera=True needs img_cams')
    if cbgm_context is not None and cbgm_k1 < 1:
        raise ValueError(f'cbgm_k1 must be at least 1, got {cbgm_k1}')

    # kept detections, sorted by image
    keep = np.asarray(det_scores, dtype=np.float64).ravel() >= score_thr
    det_imgs = np.asarray(det_imgs, dtype=np.int64).ravel()[keep]
    order = np.argsort(det_imgs, kind='stable')
    det_imgs = det_imgs[order]
    det_boxes = np.asarray(det_boxes, np.float64).reshape(-1, 4)[keep][order]
    det_feats = np.asarray(det_feats, np.float64)
    if det_feats.size == 0:
        det_feats = det_feats.reshape(len(keep), query_feats.shape[-1])
    det_feats = det_feats[keep][order]
    img_count = np.bincount(det_imgs, minlength=num_images)
    img_start = np.cumsum(img_count) - img_count
    num_dets = len(det_imgs)

    pair_q, pair_g = _occurrence_pairs(query_imgs, query_pids, gt_imgs, gt_pids,
                                       num_images)
    pair_thr = search_iou_threshold(gt_boxes[pair_g])
    csr = {
        name: None if gal is None else _gallery_csr(gal, num_queries)
        for name, gal in galleries.items()
    }
    results = {
        name: SearchResult(
            ap=np.zeros(num_queries),
            cmc=np.zeros((num_queries, len(topk)), dtype=bool),
            num_occurrences=np.zeros(num_queries, dtype=np.int64),
            num_tp=np.zeros(num_queries, dtype=np.int64),
            topk=topk)
        for name in galleries
    }
    if block_size is None:
        block_size = max(1, _BLOCK_BYTES // (8 * max(num_dets, 1)))
    for b0 in range(0, num_queries, block_size):
        b1 = min(b0 + block_size, num_queries)
        nb = b1 - b0
        sims = query_feats[b0:b1] @ det_feats.T
        p0, p1 = np.searchsorted(pair_q, [b0, b1])
        bq, bg = pair_q[p0:p1] - b0, pair_g[p0:p1]
        everywhere = _gallery_mask(None, b0, b1, num_images, query_imgs, img_cams,
                                   cross_camera)
        shared = None
        for name in galleries:
            in_gallery = everywhere if csr[name] is None else _gallery_mask(
                csr[name], b0, b1, num_images, query_imgs, img_cams, cross_camera)
            if cbgm_context is not None:
                block_sims = _cbgm_rerank(sims, in_gallery, det_imgs, det_feats,
                                          img_start, img_count, cbgm_context[b0:b1],
                                          query_feats[b0:b1], cbgm_k1)
                tp_sim, has_tp, cand = _candidates(block_sims, bq, bg, pair_thr[p0:p1],
                                                   in_gallery, gt_boxes, gt_imgs,
                                                   det_boxes, det_imgs, img_start,
                                                   img_count)
            else:
                # Every setting's gallery lies within "all other images", so
                # its weakest true positive is at least as similar as the
                # weakest one there: one dense pass serves all settings.
                if shared is None:
                    shared = _candidates(sims, bq, bg, pair_thr[p0:p1], everywhere,
                                         gt_boxes, gt_imgs, det_boxes, det_imgs,
                                         img_start, img_count)
                tp_sim, has_tp, cand = shared
            cand_q, cand_img, cand_sim = cand
            valid = in_gallery[bq, gt_imgs[bg]]
            sel = in_gallery[cand_q, cand_img]
            _score_block(results[name], b0, nb, cand_q[sel], cand_sim[sel], bq[valid],
                         tp_sim[valid], has_tp[valid])
    return results


def _candidates(sims, bq, bg, thr, in_gallery, gt_boxes, gt_imgs, det_boxes, det_imgs,
                img_start, img_count):
    """True positives and the detections that may outrank them.

    Args:
        sims (np.ndarray): (B, N) similarities of the block's queries.
        bq, bg, thr (np.ndarray): (P,) occurrence pairs, see
            :func:`_true_positive_sims`.
        in_gallery (np.ndarray): (B, I) bool gallery images per query.

    Returns:
        tuple: (P,) true-positive similarity, (P,) bool found, and the
        candidates (R,) query, (R,) image index, (R,) similarity: every
        gallery detection at least as similar as the query's weakest true
        positive in ``in_gallery``.
    """
    tp_sim, has_tp = _true_positive_sims(sims, bq, bg, thr, gt_boxes, gt_imgs,
                                         det_boxes, img_start, img_count)
    found = in_gallery[bq, gt_imgs[bg]] & has_tp
    floor = np.full(len(sims), np.inf)
    np.minimum.at(floor, bq[found], tp_sim[found])
    cand_q, cand_n = np.nonzero(sims >= floor[:, None])
    return tp_sim, has_tp, (cand_q, det_imgs[cand_n], sims[cand_q, cand_n])


def _cbgm_rerank(sims, in_gallery, det_imgs, det_feats, img_start, img_count, context,
                 query_feats, k1):
    """Context bipartite graph matching on one block (SeqNet's CBGM): the
    images of each query's ``k1`` most similar gallery detections are
    re-ranked by :func:`cbgm_match`.

    Args:
        sims (np.ndarray): (B, N) similarities.
        in_gallery (np.ndarray): (B, I) bool gallery images per query.
        context (Sequence[np.ndarray]): B arrays (C_b, D) of context
            embeddings.
        query_feats (np.ndarray): (B, D) query embeddings.
        k1 (int): top gallery detections whose images are re-ranked.

    Returns:
        np.ndarray: (B, N) re-ranked similarities (a copy).
    """
    out = sims.copy()
    num_dets = sims.shape[1]
    if num_dets == 0:
        return out
    masked = np.where(in_gallery[:, det_imgs], sims, -np.inf)
    k1 = min(k1, num_dets)
    top = np.argpartition(-masked, k1 - 1, axis=1)[:, :k1]
    rows = np.repeat(np.arange(len(sims)), k1)
    keep = np.isfinite(masked[rows, top.ravel()])
    pairs = np.unique(np.c_[rows[keep], det_imgs[top.ravel()[keep]]], axis=0)
    for b, img in pairs:
        start, count = img_start[img], img_count[img]
        people = np.vstack([
            query_feats[b:b + 1],
            np.asarray(context[b]).reshape(-1, query_feats.shape[1])
        ])
        match = cbgm_match(people @ det_feats[start:start + count].T)
        if match is not None:
            out[b, start + match[0]] = match[1]
    return out


def _true_positive_sims(sims, bq, bg, thr, gt_boxes, gt_imgs, det_boxes, img_start,
                        img_count):
    """Similarity of the true positive of each (query, ground truth) pair.

    Args:
        sims (np.ndarray): (B, N) similarities of the block's queries.
        bq (np.ndarray): (P,) block-local query index of each pair.
        bg (np.ndarray): (P,) ground-truth index of each pair.
        thr (np.ndarray): (P,) IoU threshold of each pair.

    Returns:
        tuple[np.ndarray, np.ndarray]: (P,) similarity of the true positive
        (-inf when none) and (P,) bool whether one exists.
    """
    pair, det = expand_image_pairs(gt_imgs[bg], img_start, img_count)
    iou = paired_iou(gt_boxes[bg[pair]], det_boxes[det])
    cand = iou >= thr[pair]
    pair, det = pair[cand], det[cand]
    tp_sim = np.full(len(bq), -np.inf)
    np.maximum.at(tp_sim, pair, sims[bq[pair], det])
    has_tp = np.bincount(pair, minlength=len(bq)) > 0
    return tp_sim, has_tp


def _gallery_mask(csr, b0, b1, num_images, query_imgs, img_cams, cross_camera):
    """(B, I) bool: image i is in the gallery of block query b."""
    rows = np.arange(b1 - b0)
    if csr is None:
        mask = np.ones((b1 - b0, num_images), dtype=bool)
    else:
        ptr, idx = csr
        mask = np.zeros((b1 - b0, num_images), dtype=bool)
        lens = np.diff(ptr[b0:b1 + 1])
        mask[np.repeat(rows, lens), idx[ptr[b0]:ptr[b1]]] = True
    mask[rows, query_imgs[b0:b1]] = False
    if cross_camera:
        cams = np.asarray(img_cams)
        mask &= cams[None, :] != cams[query_imgs[b0:b1]][:, None]
    return mask


def _score_block(result, b0, nb, rel_q, rel_sim, occ_q, occ_sim, occ_has_tp):
    """Fill ``result`` rows ``b0 : b0 + nb`` of one block of queries.

    Args:
        result (SearchResult): the gallery setting's result to fill.
        b0 (int): first query of the block.
        nb (int): number of queries B in the block.
        rel_q (np.ndarray): (R,) block query of each candidate detection:
            every gallery detection at least as similar as the query's
            weakest true positive (others may be included).
        rel_sim (np.ndarray): (R,) its similarity.
        occ_q (np.ndarray): (P,) block query of each occurrence.
        occ_sim (np.ndarray): (P,) similarity of its true positive.
        occ_has_tp (np.ndarray): (P,) bool, the occurrence was found.
    """
    rows = slice(b0, b0 + nb)
    num_occ = np.bincount(occ_q, minlength=nb)
    tq, ts = occ_q[occ_has_tp], occ_sim[occ_has_tp]
    num_tp = np.bincount(tq, minlength=nb)
    result.num_occurrences[rows] = num_occ
    result.num_tp[rows] = num_tp
    if tq.size == 0:
        return
    # true-positive similarities per query, ascending, padded with +inf
    order = np.lexsort((ts, tq))
    tq, ts = tq[order], ts[order]
    start = np.cumsum(num_tp) - num_tp
    width = int(num_tp.max())
    thr = np.full((nb, width), np.inf)
    thr[tq, np.arange(len(tq)) - start[tq]] = ts
    valid = np.arange(width)[None, :] < num_tp[:, None]
    best = np.where(num_tp > 0, thr[np.arange(nb), np.maximum(num_tp - 1, 0)], np.inf)

    # num_le: true positives of the query at most as similar as candidate
    num_le = np.empty(len(rel_q), dtype=np.int64)
    step = max(1, 2**22 // width)
    for s0 in range(0, len(rel_q), step):
        sl = slice(s0, s0 + step)
        num_le[sl] = (thr[rel_q[sl]] <= rel_sim[sl, None]).sum(1)
    hist = np.bincount(
        rel_q * (width + 1) + num_le,
        minlength=nb * (width + 1)).reshape(nb, width + 1)
    # num_ge[q, j]: gallery detections with similarity >= thr[q, j]
    num_ge = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:]
    tp_ge = ((thr[:, None, :] >= thr[:, :, None]) & valid[:, None, :]).sum(-1)
    precision = np.where(valid, tp_ge / np.maximum(num_ge, 1), 0.0)
    result.ap[rows] = np.where(num_occ > 0,
                               precision.sum(1) / np.maximum(num_occ, 1), 0.)
    rank = np.bincount(rel_q[rel_sim > best[rel_q]], minlength=nb)
    for i, k in enumerate(result.topk):
        result.cmc[rows, i] = (num_tp > 0) & (rank < k)
