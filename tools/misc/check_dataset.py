"""Validate person-search annotation files against the mmps schema.

Prints the warnings (at most ``--max-warnings``), every violation with its
file and index, and a summary line; exits with status 1 when there is a
violation. What is checked: :mod:`mmps.datasets.validation`. With
``--img-dir`` every image must be a non-empty file there, and the images of
test splits are decoded too (``--no-decode`` skips that, ``--decode``
decodes the training images as well).

A path that does not exist stops the tool with one line and status 2; a
file that is not annotation JSON (cut short, another format) with one line
naming it and status 1.

Usage::

    python tools/misc/check_dataset.py data/synthetic/annotations/test.json \
        --img-dir data/synthetic/images
"""
import argparse
import os.path as osp
from typing import Tuple

from mmps.datasets.validation import (AnnotationReport, format_report,
                                      validate_annotations)


def parse_args() -> Tuple[argparse.ArgumentParser, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        description='Validate mmps person-search annotation files')
    parser.add_argument('ann_files', nargs='+')
    parser.add_argument('--img-dir', help='check image files under it')
    parser.add_argument(
        '--decode',
        action=argparse.BooleanOptionalAction,
        default=None,
        help='with --img-dir, decode every image (default: only those of '
        'test splits; --no-decode only checks that the files exist and are '
        'not empty)')
    parser.add_argument(
        '--max-warnings',
        type=int,
        default=20,
        help='print at most this many warnings (-1: all; a CUHK-SYSU '
        'conversion has many boxes extending past the image)')
    args = parser.parse_args()
    missing = [p for p in args.ann_files if not osp.isfile(p)]
    if missing:
        parser.exit(
            2, f'{parser.prog}: error: annotation file {missing[0]} '
            'does not exist\n')
    if args.img_dir is not None and not osp.isdir(args.img_dir):
        parser.exit(
            2, f'{parser.prog}: error: --img-dir {args.img_dir} is not '
            'a folder\n')
    return parser, args


def main() -> None:
    parser, args = parse_args()
    found = AnnotationReport([], [])
    for ann_file in args.ann_files:
        try:
            report = validate_annotations(ann_file, args.img_dir, decode=args.decode)
        except (OSError, ValueError) as err:
            parser.exit(1, f'{parser.prog}: error: {err}\n')
        found.violations.extend(report.violations)
        found.warnings.extend(report.warnings)
    print(format_report(found, len(args.ann_files), args.max_warnings))
    raise SystemExit(1 if found.violations else 0)


if __name__ == '__main__':
    main()
