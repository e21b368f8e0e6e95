"""Convert the PRW release to the mmps annotation schema.

The release layout and the conversion rules are described in
:mod:`mmps.datasets.converters.prw` and ``docs/dataset_prepare.md``.

Usage::

    python tools/dataset_converters/prw.py data/PRW
"""
import argparse
import time

from mmps.datasets.converters import convert_prw


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert PRW to the mmps annotation schema')
    parser.add_argument('root', help='release root (holds frames/, annotations/)')
    parser.add_argument('--out-dir', help='output folder (default ROOT/mmps)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    convert_prw(args.root, args.out_dir)
    print(f'done in {time.perf_counter() - start:.1f} s')


if __name__ == '__main__':
    main()
