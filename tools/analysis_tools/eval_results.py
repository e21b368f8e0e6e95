"""Re-run the person-search protocol offline on saved per-image results.

The results file is the pickle written by ``PersonSearchMetric``'s
``outfile_path`` (a list of per-image records) or by ``tools/test.py --out``
(a list of output data samples with ``pred_instances`` and
``pred_query_instances``).

Example:
    python tools/analysis_tools/eval_results.py \\
        data/CUHK-SYSU/mmps/test.json work_dirs/results.pkl \\
        --gallery-sizes 50 100 full --det-thresh 0.6 --labeled
"""
import argparse
import json

from mmps.evaluation.functional import (evaluate_results, format_table,
                                        load_protocol, load_results,
                                        summarize)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file', help='test annotation JSON (protocol)')
    parser.add_argument('results', help='results pickle')
    parser.add_argument('--gallery-sizes', nargs='+', default=None,
                        help="gallery sizes, and/or 'full'; default: all")
    parser.add_argument('--det-thresh', type=float, default=0.5)
    parser.add_argument('--cross-camera', action='store_true')
    parser.add_argument('--labeled', action='store_true',
                        help='also evaluate with ground-truth gallery boxes')
    parser.add_argument('--normalize', action='store_true',
                        help='L2-normalise embeddings')
    parser.add_argument('--cbgm', action='store_true',
                        help='context bipartite graph matching re-ranking')
    parser.add_argument('--cbgm-k1', type=int, default=10)
    parser.add_argument('--cbgm-k2', type=int, default=3)
    parser.add_argument('--json', help='write the flat metrics here')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    protocol = load_protocol(args.ann_file)
    report = evaluate_results(load_results(args.results), protocol,
                              det_thresh=args.det_thresh,
                              gallery_sizes=args.gallery_sizes,
                              cross_camera=args.cross_camera,
                              labeled=args.labeled,
                              normalize=args.normalize, cbgm=args.cbgm,
                              cbgm_k1=args.cbgm_k1, cbgm_k2=args.cbgm_k2)
    print(format_table(report, protocol))
    metrics = summarize(report, protocol)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(metrics, f, indent=2)
    return metrics


if __name__ == '__main__':
    main()
