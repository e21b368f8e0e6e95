"""Write a background-influence variant (BUFF, Sec. 3.1) of a test split.

Writes ``OUT_DIR/images/...`` and ``OUT_DIR/<annotation file name>``; the
variants (``mb``, ``mf``, ``rf``, ``rb`` in PRW or CUHK-SYSU style) are
described in :mod:`mmps.datasets.background_variants`.

Example::

    python tools/misc/make_background_variant.py data/PRW/mmps/test.json \\
        data/PRW/frames data/PRW/background_influence/rb --variant rb
"""
import argparse
import os.path as osp

from mmps.datasets.background_variants import RB_MODES, VARIANTS, make_variant


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write a background-influence variant (BUFF Sec. 3.1) of '
        'a person-search test split')
    parser.add_argument('ann_file', help='mmps-schema annotation file')
    parser.add_argument('img_dir', help='folder of its images (data_prefix.img)')
    parser.add_argument('out_dir', help='output folder')
    parser.add_argument('--variant', required=True, choices=VARIANTS)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--rb-mode',
        default='auto',
        choices=RB_MODES,
        help='auto: cuhk when the protocol has gallery lists')
    parser.add_argument(
        '--backgrounds',
        help='PRW-style RB: folder of pure backgrounds named <cam_id>.png '
        '(others are estimated)')
    parser.add_argument(
        '--bg-frames',
        type=int,
        default=50,
        help='frames per camera for the background median')
    parser.add_argument(
        '--rf-source',
        default='image',
        choices=('background', 'image'),
        help='where RF draws its pixels from: any pixel of the image (BUFF '
        'Sec. 3.1, the default) or the background only')
    parser.add_argument('--no-progress', action='store_true')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    out_file = make_variant(args.ann_file, args.img_dir, args.out_dir, args.variant,
                            args.seed, args.rb_mode, args.backgrounds, args.bg_frames,
                            args.rf_source, not args.no_progress)
    print(f'\nwrote {out_file} and {osp.join(args.out_dir, "images")}')


if __name__ == '__main__':
    main()
