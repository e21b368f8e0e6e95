"""Add the maskPS person masks to a converted training split.

The accepted mask files and the matching rules are described in
:mod:`mmps.datasets.converters.maskps` and ``docs/dataset_prepare.md``.

Usage::

    python tools/dataset_converters/maskps.py data/maskPS \
        data/CUHK-SYSU/mmps/train.json --out data/CUHK-SYSU/mmps/train_maskps.json
"""
import argparse
import os.path as osp
import time

from mmps.datasets.converters.maskps import convert_maskps, format_maskps_summary


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Add the maskPS person masks to a converted training split')
    parser.add_argument('mask_dir', help='the unpacked maskPS release')
    parser.add_argument('train_json', help='converted training split (mmps schema)')
    parser.add_argument('--out', required=True, help='output annotation file')
    parser.add_argument(
        '--test-json',
        help='test split whose images must have no mask '
        '(default: test.json beside TRAIN_JSON, when present)')
    parser.add_argument(
        '--min-inside',
        type=float,
        default=0.5,
        help='smallest share of mask pixels inside the matched box')
    args = parser.parse_args()
    if not osp.isfile(args.train_json):
        parser.exit(2, f'{parser.prog}: error: {args.train_json} is not a file\n')
    args.parser = parser
    return args


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    try:
        stats = convert_maskps(args.mask_dir, args.train_json, args.out, args.test_json,
                               args.min_inside)
    except (OSError, ValueError) as err:
        args.parser.exit(1, f'{args.parser.prog}: error: {err}\n')
    print(format_maskps_summary(stats))
    print(f'wrote {args.out} in {time.perf_counter() - start:.1f} s')


if __name__ == '__main__':
    main()
