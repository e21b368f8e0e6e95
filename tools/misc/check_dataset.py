"""Validate person-search annotation files against the mmps schema.

Prints the warnings (at most ``--max-warnings``), every violation with its
file and index, and a summary line; exits with status 1 when there is a
violation. What is checked: :mod:`mmps.datasets.validation`.

Usage::

    python tools/misc/check_dataset.py data/synthetic/annotations/test.json \
        --img-dir data/synthetic/images
"""
import argparse
import sys

from mmps.datasets.validation import (AnnotationReport, format_report,
                                      validate_annotations)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Validate mmps person-search annotation files')
    parser.add_argument('ann_files', nargs='+')
    parser.add_argument('--img-dir', help='check image files under it')
    parser.add_argument(
        '--max-warnings',
        type=int,
        default=20,
        help='print at most this many warnings (-1: all; a CUHK-SYSU '
        'conversion has many boxes extending past the image)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    found = AnnotationReport([], [])
    for ann_file in args.ann_files:
        report = validate_annotations(ann_file, args.img_dir)
        found.violations.extend(report.violations)
        found.warnings.extend(report.warnings)
    print(format_report(found, len(args.ann_files), args.max_warnings))
    sys.exit(1 if found.violations else 0)


if __name__ == '__main__':
    main()
