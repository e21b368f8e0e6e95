"""Time the vectorised person-search protocol against a per-query loop.

Builds CUHK-SYSU-sized (2,900 queries, 6,978 images, six gallery sizes plus
full mode) and PRW-sized (2,057 queries, 6,112 images, all other images and
cross-camera) synthetic cases with 256-d embeddings, runs
:func:`mmps.evaluation.functional.eval_search` on all queries, runs a
straightforward per-query, per-gallery-image loop (the shape of the
community's reference code) on a random subset of queries, extrapolates the
loop's time to all queries, and checks that both agree to 1e-6.

Example:
    python tools/analysis_tools/benchmark_eval.py --loop-queries 30
"""
import argparse
import time

import numpy as np

from mmps.evaluation.functional import (SearchProtocol, eval_search,
                                        evaluate_results)

CUHK = dict(name='CUHK-SYSU-sized', num_queries=2900, num_images=6978,
            num_ids=2900, occurrences=(2, 4), sizes=(50, 100, 500, 1000,
                                                     2000, 4000))
PRW = dict(name='PRW-sized', num_queries=2057, num_images=6112, num_ids=450,
           occurrences=(25, 70), sizes=())


def make_case(num_queries, num_images, num_ids, occurrences, sizes, dim,
              seed, **_):
    """A synthetic split: ~5 persons and ~6 kept detections per image;
    queries are labelled occurrences.

    Returns:
        tuple: keyword arguments of ``eval_search`` (without galleries),
        the galleries, and (Q,) ground-truth index of each query.
    """
    rng = np.random.default_rng(seed)
    cams = rng.integers(0, 6, num_images)
    # labelled occurrences: each id in a few distinct images
    counts = rng.integers(occurrences[0], occurrences[1] + 1, num_ids)
    gt_imgs = np.concatenate(
        [rng.choice(num_images, c, replace=False) for c in counts])
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
    det_scores = np.r_[rng.uniform(0.6, 1, len(src)),
                       rng.uniform(0, 1, len(fa))]
    identity = rng.normal(size=(num_ids, dim))
    base = np.r_[identity[np.maximum(gt_pids[src], 0)] *
                 (gt_pids[src] >= 0)[:, None],
                 np.zeros((len(fa), dim))]
    det_feats = base + rng.normal(0, 1.7, (len(det_imgs), dim))
    det_feats /= np.linalg.norm(det_feats, axis=1, keepdims=True)
    labelled = np.flatnonzero(gt_pids >= 0)
    picks = rng.choice(labelled, num_queries, replace=False)
    query_feats = identity[gt_pids[picks]] + rng.normal(
        0, 1.7, (num_queries, dim))
    query_feats /= np.linalg.norm(query_feats, axis=1, keepdims=True)
    galleries = {}
    for size in sizes:
        lists = []
        for q in picks:
            own = gt_imgs[(gt_pids == gt_pids[q])]
            fill = rng.choice(num_images, size + len(own) + 1, replace=False)
            fill = fill[~np.isin(fill, np.r_[own, gt_imgs[q]])]
            lists.append(np.r_[own[own != gt_imgs[q]],
                               fill][:size].astype(np.int64))
        galleries[str(size)] = lists
    galleries['full'] = None
    return dict(query_feats=query_feats, query_imgs=gt_imgs[picks],
                query_pids=gt_pids[picks], det_boxes=det_boxes,
                det_scores=det_scores, det_feats=det_feats,
                det_imgs=det_imgs, gt_boxes=gt_boxes, gt_imgs=gt_imgs,
                gt_pids=gt_pids, num_images=num_images,
                img_cams=cams), galleries, picks


def as_records(case, picks):
    """Per-image records and the protocol, as the metric would see them."""
    num_images = case['num_images']
    det_order = np.argsort(case['det_imgs'], kind='stable')
    det_split = np.cumsum(np.bincount(case['det_imgs'],
                                      minlength=num_images))[:-1]
    gt_order = np.argsort(case['gt_imgs'], kind='stable')
    gt_split = np.cumsum(np.bincount(case['gt_imgs'],
                                     minlength=num_images))[:-1]
    gt_feats = np.zeros((len(case['gt_imgs']), case['det_feats'].shape[1]))
    gt_feats[:, 0] = 1.0
    gt_feats[picks] = case['query_feats']
    query_index = np.full(len(case['gt_imgs']), -1)
    query_index[picks] = np.arange(len(picks))
    records = [
        dict(img_id=i, bboxes=case['det_boxes'][d],
             scores=case['det_scores'][d], embeddings=case['det_feats'][d],
             query_bboxes=case['gt_boxes'][g],
             query_embeddings=gt_feats[g], query_indices=query_index[g])
        for i, (d, g) in enumerate(zip(np.split(det_order, det_split),
                                       np.split(gt_order, gt_split)))
    ]
    protocol = SearchProtocol(
        dataset='synthetic', img_ids=np.arange(num_images),
        img_cams=case['img_cams'], gt_boxes=case['gt_boxes'],
        gt_imgs=case['gt_imgs'], gt_pids=case['gt_pids'],
        query_imgs=case['query_imgs'], query_boxes=case['gt_boxes'][picks],
        query_pids=case['query_pids'])
    return records, protocol


def loop_query(case, q, gallery, by_img, gt_by_img, cross_camera, thresh,
               topk=(1, 5, 10)):
    """AP and CMC of one query, one gallery image at a time."""
    qimg, pid, qf = case['query_imgs'][q], case['query_pids'][q], \
        case['query_feats'][q]
    imgs = range(case['num_images']) if gallery is None else gallery[q]
    y_true, y_score, count_gt, count_tp = [], [], 0, 0
    for i in imgs:
        if i == qimg or (cross_camera and
                         case['img_cams'][i] == case['img_cams'][qimg]):
            continue
        dets = by_img[i]
        dets = dets[case['det_scores'][dets] >= thresh]
        sims = case['det_feats'][dets] @ qf
        labels = np.zeros(len(dets), dtype=bool)
        for g in gt_by_img[i]:
            if case['gt_pids'][g] != pid:
                continue
            count_gt += 1
            box = case['gt_boxes'][g]
            w, h = box[2] - box[0], box[3] - box[1]
            thr = min(0.5, w * h / ((w + 10) * (h + 10)))
            for j in np.argsort(-sims, kind='stable'):
                d = case['det_boxes'][dets[j]]
                iw = max(0., min(d[2], box[2]) - max(d[0], box[0]))
                ih = max(0., min(d[3], box[3]) - max(d[1], box[1]))
                union = (d[2] - d[0]) * (d[3] - d[1]) + w * h - iw * ih
                if iw * ih / union >= thr:
                    labels[j] = True
                    count_tp += 1
                    break
            # one occurrence per image: its first box with the id (SeqNet)
            break
        y_true.append(labels)
        y_score.append(sims)
    y_true, y_score = np.concatenate(y_true), np.concatenate(y_score)
    if count_tp == 0:
        return 0.0, np.zeros(len(topk), dtype=bool)
    order = np.argsort(-y_score, kind='stable')
    s, t = y_score[order], np.cumsum(y_true[order])
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
    prec, rec = t[last] / (last + 1), t[last] / t[-1]
    ap = float(np.sum(np.diff(rec, prepend=0) * prec)) * count_tp / count_gt
    rank = (y_score > y_score[y_true].max()).sum()
    return ap, np.array([rank < k for k in topk])


def bench(spec, args, cross_camera=False):
    t0 = time.perf_counter()
    case, galleries, picks = make_case(dim=args.dim, seed=args.seed, **spec)
    records, protocol = as_records(case, picks)
    protocol.galleries = {k: v for k, v in galleries.items() if v is not None}
    gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = eval_search(**case, galleries=galleries, cross_camera=cross_camera,
                      det_thresh=0.5)
    fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = evaluate_results(records, protocol, cross_camera=cross_camera)
    metric = time.perf_counter() - t0
    same = all(np.array_equal(report['search'][n].ap, res[n].ap)
               for n in galleries)
    by_img = np.split(np.argsort(case['det_imgs'], kind='stable'),
                      np.cumsum(np.bincount(case['det_imgs'],
                                            minlength=case['num_images']))
                      [:-1])
    gt_by_img = np.split(np.argsort(case['gt_imgs'], kind='stable'),
                         np.cumsum(np.bincount(case['gt_imgs'],
                                               minlength=case['num_images']))
                         [:-1])
    rng = np.random.default_rng(args.seed + 1)
    sub = rng.choice(len(case['query_imgs']), args.loop_queries,
                     replace=False)
    loop_total, max_diff, cmc_same = 0.0, 0.0, True
    for name, gallery in galleries.items():
        t0 = time.perf_counter()
        out = [loop_query(case, q, gallery, by_img, gt_by_img, cross_camera,
                          0.5) for q in sub]
        loop_total += (time.perf_counter() - t0) * len(
            case['query_imgs']) / len(sub)
        max_diff = max(max_diff, float(np.abs(
            np.array([o[0] for o in out]) - res[name].ap[sub]).max()))
        cmc_same &= bool(np.array_equal(np.array([o[1] for o in out]),
                                        res[name].cmc[sub]))
    kept = (case['det_scores'] >= 0.5).sum() / case['num_images']
    print(f'{spec["name"]}{" cross-camera" if cross_camera else ""}: '
          f'{len(case["query_imgs"])} queries, {case["num_images"]} images, '
          f'{kept:.2f} kept detections / image, settings '
          f'{list(galleries)}; data generation {gen:.1f} s')
    for name, r in res.items():
        print(f'  {name:>5}: mAP {100 * r.ap.mean():.2f} top1 '
              f'{100 * r.cmc[:, 0].mean():.2f}')
    print(f'  metric path (records -> all settings + detection eval): '
          f'{metric:.2f} s, same APs as the core: {same}')
    print(f'  vectorised (all queries): {fast:.2f} s; loop '
          f'(extrapolated from {len(sub)} queries): {loop_total:.1f} s; '
          f'speed-up {loop_total / fast:.0f}x; max |AP diff| {max_diff:.1e}'
          f', CMC identical: {cmc_same}')
    assert max_diff <= 1e-6 and cmc_same and same, 'implementations disagree'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--loop-queries', type=int, default=30,
                        help='queries timed with the loop, per setting')
    parser.add_argument('--dim', type=int, default=256)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    bench(CUHK, args)
    bench(PRW, args)
    bench(PRW, args, cross_camera=True)


if __name__ == '__main__':
    main()
