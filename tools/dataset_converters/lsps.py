"""Convert the LSPS release to the mmps annotation schema.

The release layout and the conversion rules are described in
:mod:`mmps.datasets.converters.lsps` and ``docs/dataset_prepare.md``.

Usage::

    python tools/dataset_converters/lsps.py data/LSPS
"""
import argparse
import os.path as osp
import time
from typing import Tuple

from mmps.datasets.converters import convert_lsps


def parse_args() -> Tuple[argparse.ArgumentParser, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        description='Convert LSPS to the mmps annotation schema')
    parser.add_argument(
        'root', help='release root (holds train/, test/ and the *.txt files)')
    parser.add_argument('--out-dir', help='output folder (default ROOT/mmps)')
    args = parser.parse_args()
    if not osp.isdir(args.root):
        parser.exit(
            2, f'{parser.prog}: error: release root {args.root} is not a '
            'folder\n')
    return parser, args


def main() -> None:
    parser, args = parse_args()
    start = time.perf_counter()
    try:
        convert_lsps(args.root, args.out_dir)
    except (OSError, ValueError) as err:
        parser.exit(1, f'{parser.prog}: error: {err}\n')
    print(f'done in {time.perf_counter() - start:.1f} s')


if __name__ == '__main__':
    main()
