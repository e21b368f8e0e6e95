"""Re-run the person-search protocol offline on saved per-image results.

The results file is the pickle written by ``PersonSearchMetric``'s
``outfile_path`` (a list of per-image records) or by ``tools/test.py --out``
(a list of output data samples with ``pred_instances`` and
``pred_query_instances``). Only NumPy and SciPy do the work
(:mod:`mmps.evaluation.functional`): the tool runs where mmcv has no
compiled ops, e.g. on results of another code base.

The search ranks the gallery detections scoring >= ``--search-score-thr``
(0.5); detection recall and AP count those scoring >= ``--det-score-thr``
(0.01), as SeqNet reports them. ``--cbgm-k1`` / ``--cbgm-k2`` default to
SeqNet's values for the annotation file's dataset (CUHK-SYSU 10 / 3, PRW
30 / 4).

Every error is one line ``error: ...`` with exit status 1: a missing
file, an annotation file or results pickle that cannot be read (naming the
file), a malformed record (naming its image), a bad option. When no
gallery detection reaches a score threshold, a note under the table says
so.

Example:
    python tools/analysis_tools/eval_results.py \\
        data/CUHK-SYSU/mmps/test.json work_dirs/results.pkl \\
        --gallery-sizes 50 100 full --search-score-thr 0.6 --labeled
"""
import argparse
import json
import os.path as osp

from mmps.evaluation.functional import (evaluate_results, format_table, load_protocol,
                                        load_results, summarize)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file', help='test annotation JSON (protocol)')
    parser.add_argument('results', help='results pickle')
    parser.add_argument(
        '--gallery-sizes',
        nargs='+',
        default=None,
        help="gallery sizes, and/or 'full'; default: all")
    parser.add_argument(
        '--search-score-thr',
        type=float,
        default=0.5,
        help='minimum score of the searched detections')
    parser.add_argument(
        '--det-score-thr',
        type=float,
        default=0.01,
        help='minimum score of the detections counted by '
        'detection recall and AP')
    parser.add_argument('--cross-camera', action='store_true')
    parser.add_argument(
        '--labeled',
        action='store_true',
        help='also evaluate with ground-truth gallery boxes')
    parser.add_argument(
        '--normalize', action='store_true', help='L2-normalise embeddings')
    parser.add_argument(
        '--cbgm',
        action='store_true',
        help='context bipartite graph matching re-ranking')
    parser.add_argument(
        '--cbgm-k1', type=int, help="default: SeqNet's value for the dataset")
    parser.add_argument(
        '--cbgm-k2', type=int, help="default: SeqNet's value for the dataset")
    parser.add_argument('--json', help='write the flat metrics here')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    for what, path in (('annotation', args.ann_file), ('results', args.results)):
        if not osp.isfile(path):
            raise SystemExit(f'error: {what} file {path} does not exist')
    try:
        protocol = load_protocol(args.ann_file)
    except (OSError, KeyError, TypeError, ValueError) as err:
        raise SystemExit(f'error: {args.ann_file}: no usable test protocol '
                         f'({type(err).__name__}: {err})')
    try:
        report = evaluate_results(
            load_results(args.results),
            protocol,
            search_score_thr=args.search_score_thr,
            det_score_thr=args.det_score_thr,
            gallery_sizes=args.gallery_sizes,
            cross_camera=args.cross_camera,
            labeled=args.labeled,
            normalize=args.normalize,
            cbgm=args.cbgm,
            cbgm_k1=args.cbgm_k1,
            cbgm_k2=args.cbgm_k2)
    except ValueError as err:
        raise SystemExit(f'error: {err}')
    print(format_table(report, protocol))
    metrics = summarize(report, protocol)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(metrics, f, indent=2)


if __name__ == '__main__':
    main()
