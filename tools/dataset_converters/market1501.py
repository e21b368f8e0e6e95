"""Write Market-1501's training crops as a ``filename label`` list for
mmdet's ``ReIDDataset`` (see :mod:`mmps.datasets.converters.market1501`).

Usage::

    python tools/dataset_converters/market1501.py data/Market-1501-v15.09.15
"""
import argparse

from mmps.datasets.converters import convert_market1501


def main() -> None:
    parser = argparse.ArgumentParser(
        description='Write the Market-1501 training label list')
    parser.add_argument('root', help='release root (holds bounding_box_train/)')
    parser.add_argument('--out-dir', help='output folder (default ROOT/mmps)')
    args = parser.parse_args()
    try:
        summary = convert_market1501(args.root, args.out_dir)
    except (OSError, ValueError) as err:
        parser.exit(1, f'{parser.prog}: error: {err}\n')
    print(f"train.txt: {summary['images']} images of {summary['ids']} ids; skipped "
          f"{summary['junk']} junk (-1) and {summary['distractors']} distractor (0000) "
          'images')


if __name__ == '__main__':
    main()
