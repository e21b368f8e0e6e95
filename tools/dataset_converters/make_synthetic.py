"""Generate the synthetic person-search dataset, or a mini release of it.

Usage::

    # mmps schema (images/ + annotations/{train,test}.json), the demo default
    python tools/dataset_converters/make_synthetic.py data/synthetic
    # a miniature CUHK-SYSU / PRW release, for the converters
    python tools/dataset_converters/make_synthetic.py /tmp/cuhk --format cuhk_sysu
    python tools/dataset_converters/make_synthetic.py /tmp/prw --format prw
    # a full-size CUHK-SYSU annotation stand-in (blank images), for timing
    python tools/dataset_converters/make_synthetic.py /tmp/cuhk_full \
        --format cuhk_sysu --no-render --image-size 96 64 \
        --train-images 11206 --test-images 6978 --train-ids 5532 \
        --test-ids 2900 --max-labelled 2 --max-unlabelled 8 \
        --gallery-sizes 50 100 500 1000 2000 4000
"""
import argparse
import time

from mmps.datasets.synthetic import (DEFAULT_SYNTHETIC_CFG, build_synthetic_scenes,
                                     make_synthetic_dataset, write_cuhk_sysu_release,
                                     write_prw_release)


def parse_args() -> argparse.Namespace:
    d = DEFAULT_SYNTHETIC_CFG
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out_dir')
    parser.add_argument(
        '--format', choices=('mmps', 'cuhk_sysu', 'prw'), default='mmps')
    parser.add_argument('--seed', type=int, default=d['seed'])
    parser.add_argument('--train-images', type=int, default=d['num_train_images'])
    parser.add_argument('--test-images', type=int, default=d['num_test_images'])
    parser.add_argument('--train-ids', type=int, default=d['num_train_ids'])
    parser.add_argument('--test-ids', type=int, default=d['num_test_ids'])
    parser.add_argument(
        '--image-size', type=int, nargs=2, default=d['image_size'], metavar=('H', 'W'))
    parser.add_argument('--cameras', type=int, default=d['num_cameras'])
    parser.add_argument(
        '--gallery-sizes', type=int, nargs='+', default=d['gallery_sizes'])
    parser.add_argument(
        '--max-labelled',
        type=int,
        default=None,
        help='labelled persons per image at most (default: that of '
        'build_synthetic_scenes)')
    parser.add_argument(
        '--max-unlabelled',
        type=int,
        default=None,
        help='unlabelled persons per image at most (default: that of '
        'build_synthetic_scenes)')
    parser.add_argument(
        '--no-render',
        action='store_true',
        help='release formats only: blank images, annotations only')
    args = parser.parse_args()
    if args.format == 'mmps' and (args.no_render or args.max_labelled is not None
                                  or args.max_unlabelled is not None):
        parser.error('--no-render and --max-* apply to --format cuhk_sysu '
                     'and prw only')
    return args


def main() -> None:
    args = parse_args()
    cfg = dict(
        seed=args.seed,
        num_train_images=args.train_images,
        num_test_images=args.test_images,
        num_train_ids=args.train_ids,
        num_test_ids=args.test_ids,
        image_size=tuple(args.image_size),
        num_cameras=args.cameras,
        gallery_sizes=tuple(args.gallery_sizes))
    start = time.perf_counter()
    if args.format == 'mmps':
        paths = make_synthetic_dataset(args.out_dir, **cfg)
        print(f'wrote {paths["train"]} and {paths["test"]}')
    else:
        limits = {
            key: value
            for key, value in (('max_labelled', args.max_labelled),
                               ('max_unlabelled', args.max_unlabelled))
            if value is not None
        }
        scenes = build_synthetic_scenes(**cfg, **limits, render=not args.no_render)
        writer = (
            write_cuhk_sysu_release
            if args.format == 'cuhk_sysu' else write_prw_release)
        manifest = writer(scenes, args.out_dir)
        print(f'wrote a {args.format} release to {args.out_dir}: '
              f'{manifest["num_images"]} images, {manifest["num_boxes"]} boxes')
    print(f'done in {time.perf_counter() - start:.1f} s')


if __name__ == '__main__':
    main()
