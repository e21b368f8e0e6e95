"""Time the vectorised person-search protocol against a per-query loop.

Builds CUHK-SYSU-sized (2,900 queries, 6,978 images, six gallery sizes plus
full mode) and PRW-sized (2,057 queries, 6,112 images, all other images and
cross-camera) synthetic cases with 256-d embeddings, runs
:func:`mmps.evaluation.functional.eval_search` on all queries, runs the
slow per-query, per-gallery-image loop reference
(:func:`mmps.testing.loop_search`, the shape of the community's reference
code) on a random subset of queries, extrapolates the loop's time to all
queries, and checks that both agree to 1e-6
(:func:`mmps.testing.search_eval_benchmark.benchmark_search_eval`). Exits
with status 1 when they disagree.

Example:
    python tools/analysis_tools/benchmark_eval.py --loop-queries 30
"""
import argparse
import sys

from mmps.testing.search_eval_benchmark import SEARCH_EVAL_CASES, benchmark_search_eval

#: CUHK-SYSU-sized, PRW-sized, and PRW-sized with cross-camera galleries
DEFAULT_RUNS = ['cuhk', 'prw', 'prw-cross']


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--loop-queries',
        type=int,
        default=30,
        help='queries timed with the loop, per setting')
    parser.add_argument('--dim', type=int, default=256)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--cases',
        nargs='+',
        default=DEFAULT_RUNS,
        choices=[c + s for c in SEARCH_EVAL_CASES for s in ('', '-cross')],
        help='cases to run; "-cross": cross-camera galleries')
    args = parser.parse_args()
    agree = True
    for run in args.cases:
        case, _, cross = run.partition('-')
        try:
            result = benchmark_search_eval(
                case, args.loop_queries, args.dim, args.seed, cross_camera=bool(cross))
        except ValueError as err:
            parser.exit(2, f'{parser.prog}: error: {err}\n')
        print('\n'.join(result.report()), flush=True)
        agree &= result.agree
    if not agree:
        sys.exit('error: the vectorised evaluator and the loop disagree')


if __name__ == '__main__':
    main()
