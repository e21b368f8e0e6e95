"""Draw chosen queries and their top-k gallery hits into a PNG grid.

Each row shows the query image with its box (blue), then the k most similar
searched gallery detections: green when it is the query person's true
positive under the protocol's rule, red otherwise, captioned with the rank
and similarity (:func:`mmps.visualization.draw_protocol_hits`).

A query index, gallery size or ``--topk`` the protocol does not allow is a
one-line error (exit status 1) before the results are read.

Example:
    python tools/analysis_tools/vis_search_results.py \\
        data/CUHK-SYSU/mmps/test.json work_dirs/results.pkl \\
        --img-prefix data/CUHK-SYSU/Image/SSM --queries 0 5 9 --topk 5 \\
        --out work_dirs/search_hits.png
"""
import argparse
import sys

from mmps.visualization import PersonSearchVisualizer, draw_protocol_hits


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file', help='test annotation JSON (protocol)')
    parser.add_argument('results', help='results pickle')
    parser.add_argument(
        '--img-prefix', default='', help='folder the file names are relative to')
    parser.add_argument('--queries', type=int, nargs='+', default=[0])
    parser.add_argument('--topk', type=int, default=5)
    parser.add_argument(
        '--gallery-size', default='full', help="a protocol gallery size, or 'full'")
    parser.add_argument(
        '--search-score-thr',
        type=float,
        default=0.5,
        help='minimum score of the searched detections')
    parser.add_argument(
        '--panel-height',
        type=int,
        default=256,
        help='height of each drawn image in pixels')
    parser.add_argument('--out', default='search_hits.png')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    try:
        draw_protocol_hits(args.ann_file, args.results, args.queries, args.gallery_size,
                           args.search_score_thr, args.topk, args.img_prefix, args.out,
                           PersonSearchVisualizer(panel_height=args.panel_height))
    except ValueError as err:
        sys.exit(f'error: {err}')
    print(f'saved {args.out}')


if __name__ == '__main__':
    main()
