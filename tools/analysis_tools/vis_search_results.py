"""Draw chosen queries and their top-k gallery hits into a PNG grid.

Each row shows the query image with its box (blue), then the k most similar
kept gallery detections: green when it is the query person's true positive
under the protocol's rule, red otherwise, titled with the similarity.

A query index or gallery size the protocol does not have is a one-line
error (exit code 1) before the results are read; :func:`check_vis_args`
runs that check for callers such as ``tools/demo.py``.

Example:
    python tools/analysis_tools/vis_search_results.py \\
        data/CUHK-SYSU/mmps/test.json work_dirs/results.pkl \\
        --img-prefix data/CUHK-SYSU/Image/SSM --queries 0 5 9 --topk 5 \\
        --out work_dirs/search_hits.png
"""
import argparse
import json
import os.path as osp
import sys
import warnings
from typing import List, Optional, Sequence, Union

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mmps.evaluation.functional import (  # noqa: E402
    SearchProtocol, check_record, load_protocol, load_results, paired_iou,
    search_iou_threshold)


def check_vis_args(protocol: SearchProtocol,
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


def rank_query(protocol, records, q, gallery, det_thresh, topk):
    """The top-k gallery detections of query ``q`` and their labels.

    Args:
        protocol (SearchProtocol): the test protocol.
        records (dict[int, dict]): checked records by image index.
        q (int): query index.
        gallery (np.ndarray | None): (L,) gallery image indices, or None
            for every other image.
        det_thresh (float): detection score threshold.
        topk (int): hits to return.

    Returns:
        list[tuple]: (image index, (4,) box, similarity, is_true) per hit,
        most similar first.
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
        keep = rec['scores'] >= det_thresh
        for box, sim in zip(rec['bboxes'][keep],
                            rec['embeddings'][keep] @ qfeat):
            hits.append((int(i), box, float(sim)))
    hits.sort(key=lambda h: -h[2])
    found, out = set(), []
    for img, box, sim in hits[:topk]:
        gts = np.flatnonzero((protocol.gt_imgs == img) &
                             (protocol.gt_pids == protocol.query_pids[q]))
        is_true = False
        if gts.size and img not in found:
            gt = protocol.gt_boxes[gts[:1]]
            # only an image's most similar qualifying detection is true
            is_true = bool(
                paired_iou(box[None], gt)[0] >= search_iou_threshold(gt)[0])
            if is_true:
                found.add(img)
        out.append((img, box, sim, is_true))
    return out


def load_image(path, width, height):
    """The image as an array, or a grey canvas when the file is absent."""
    if osp.isfile(path):
        return plt.imread(path)
    warnings.warn(f'{path} not found; drawing on a blank canvas')
    return np.full((height, width, 3), 0.85)


def draw(ann, protocol, records, queries, gallery_size, det_thresh, topk,
         img_prefix, out):
    """Write the grid PNG to ``out``.

    ``queries``, ``gallery_size`` and ``topk`` must have passed
    :func:`check_vis_args`.
    """
    images = {img['id']: img for img in ann['images']}
    gallery = protocol.galleries.get(gallery_size)
    fig, axes = plt.subplots(len(queries), topk + 1,
                             figsize=(2.2 * (topk + 1), 3.2 * len(queries)),
                             squeeze=False)
    for r, q in enumerate(queries):
        qimg = protocol.query_imgs[q]
        panels = [(qimg, protocol.query_boxes[q], None, None)]
        panels += rank_query(protocol, records, q,
                             None if gallery is None else gallery[q],
                             det_thresh, topk)
        for c, ax in enumerate(axes[r]):
            ax.axis('off')
            if c >= len(panels):
                continue
            img, box, sim, is_true = panels[c]
            meta = images[int(protocol.img_ids[img])]
            ax.imshow(load_image(osp.join(img_prefix, meta['file_name']),
                                 meta['width'], meta['height']))
            color = 'blue' if sim is None else ('lime' if is_true else 'red')
            ax.add_patch(plt.Rectangle(box[:2], box[2] - box[0],
                                       box[3] - box[1], fill=False,
                                       edgecolor=color, linewidth=2))
            ax.set_title(f'query {q}' if sim is None else f'{sim:.3f}',
                         fontsize=8, color=color)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main(argv: Optional[List[str]] = None) -> None:
    """Command line entry; exits with status 1 and a one-line message on
    stderr when :func:`check_vis_args` rejects the arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file', help='test annotation JSON (protocol)')
    parser.add_argument('results', help='results pickle')
    parser.add_argument('--img-prefix', default='',
                        help='folder the file names are relative to')
    parser.add_argument('--queries', type=int, nargs='+', default=[0])
    parser.add_argument('--topk', type=int, default=5)
    parser.add_argument('--gallery-size', default='full',
                        help="a protocol gallery size, or 'full'")
    parser.add_argument('--det-thresh', type=float, default=0.5)
    parser.add_argument('--out', default='search_hits.png')
    args = parser.parse_args(argv)
    with open(args.ann_file) as f:
        ann = json.load(f)
    protocol = load_protocol(ann)
    try:
        gallery_size = check_vis_args(protocol, args.queries,
                                      args.gallery_size, args.topk)
    except ValueError as err:
        sys.exit(f'error: {err}')
    records = {}
    for raw in load_results(args.results):
        rec = check_record(raw)
        records[int(protocol.image_index([rec['img_id']], 'results')[0])] = \
            rec
    draw(ann, protocol, records, args.queries, gallery_size,
         args.det_thresh, args.topk, args.img_prefix, args.out)
    print(f'saved {args.out}')


if __name__ == '__main__':
    main()
