"""Convert the CUHK-SYSU release to the mmps annotation schema.

The release layout and the conversion rules are described in
:mod:`mmps.datasets.converters.cuhk_sysu` and ``docs/dataset_prepare.md``.

Usage::

    python tools/dataset_converters/cuhk_sysu.py data/CUHK-SYSU
"""
import argparse
import time

from mmps.datasets.converters import convert_cuhk_sysu


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert CUHK-SYSU to the mmps annotation schema')
    parser.add_argument('root', help='release root (holds Image/, annotation/)')
    parser.add_argument('--out-dir', help='output folder (default ROOT/mmps)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    convert_cuhk_sysu(args.root, args.out_dir)
    print(f'done in {time.perf_counter() - start:.1f} s')


if __name__ == '__main__':
    main()
