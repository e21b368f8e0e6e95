"""The main job of ``make demo``: person search end to end on synthetic data.

Runs :func:`mmps.apis.demo.run_demo`: writes the synthetic dataset
(``data/synthetic``, once), trains the tiny OIM model
(``configs/oim/oim_tiny_synthetic.py``) on CPU, evaluates it next to the
chance level of the same split (random embeddings for the same detections)
and draws the ranked gallery hits of a few queries into a PNG; then prints
the two side by side.

Usage: ``python tools/demo.py [--config CONFIG] [--work-dir work_dirs/demo]
[--epochs N] [--queries I ...]``. A query index outside the synthetic test
split, a non-positive ``--epochs`` or a missing ``--config`` is a one-line
error before any training.
"""
import argparse
import os.path as osp
import sys
import time

from mmps.apis import DEMO_CONFIG, DemoArgumentError, run_demo

# the tiny OIM config beside this tool (repository, or mmps/.mim with mim)
TOOL_CONFIG = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), DEMO_CONFIG)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--config', default=TOOL_CONFIG)
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--data-root', default='data/synthetic')
    parser.add_argument('--epochs', type=int, help='override the config epochs')
    parser.add_argument(
        '--queries',
        type=int,
        nargs='+',
        default=[0, 1, 2, 3],
        help='query indices of the test split to draw')
    args = parser.parse_args()
    if args.epochs is not None and args.epochs < 1:
        parser.exit(
            2, f'{parser.prog}: error: --epochs must be at least 1, '
            f'got {args.epochs}\n')
    if not osp.isfile(args.config):
        parser.exit(
            2, f'{parser.prog}: error: config file {args.config} '
            'does not exist\n')
    return args


def main() -> None:
    args = parse_args()
    started = time.time()
    try:
        outcome = run_demo(args.config, args.work_dir, args.data_root, args.epochs,
                           args.queries)
    except DemoArgumentError as err:  # a bad --queries, found before training
        print(f'demo.py: error: {err}', file=sys.stderr)
        sys.exit(2)
    model, chance = outcome['model'], outcome['chance']
    print('\nperson search on the synthetic test split '
          f'({outcome["num_queries"]} queries, gallery: all other test images)')
    print(f'{"":>10} {"mAP":>7} {"top-1":>7}')
    print(f'{"model":>10} {100 * model["mAP"]:6.1f}% {100 * model["top1"]:6.1f}%')
    print(f'{"chance":>10} {100 * chance["mAP"]:6.1f}% {100 * chance["top1"]:6.1f}%')
    print(f'ranked hits: {outcome["picture"]}\nresults: {outcome["results"]}\n'
          f'total time: {(time.time() - started) / 60:.1f} min')


if __name__ == '__main__':
    main()
