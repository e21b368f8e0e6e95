"""Search a folder of scene images for the person in a query box.

Prints the ranked hits and draws, with
:class:`~mmps.visualization.PersonSearchVisualizer`, the query (blue box) and
its top-k gallery hits (red boxes, captioned with rank and cosine similarity)
side by side::

    python tools/search_demo.py QUERY_IMAGE --box X1 Y1 X2 Y2 \\
        --gallery FOLDER --config CONFIG --checkpoint CKPT --out result.png \\
        [--topk 5] [--score-thr 0.5] [--device cpu] [--save-index PATH]
        [--skip-unreadable]

``--index PATH`` replaces ``--gallery``: it searches an index saved earlier
with ``--save-index`` instead of indexing a folder. The index records the
model that built it (a fingerprint of its weights and model config); an
index of another model, or one saved before indexes recorded their model,
is refused unless ``--allow-other-model`` is given.
``--skip-unreadable`` leaves unreadable gallery images out of the index
(with a warning naming each) instead of stopping at the first.

User errors (bad box, missing or unreadable image, empty folder, index of
another model, checkpoint that does not match the config, config of a model
that is not a person searcher, unavailable device) end with a one-line
message and exit status 1; a ``--score-thr`` outside [0, 1] (or nan) with a
one-line message and exit status 2; other bad arguments (topk < 1,
``--save-index`` with ``--index``) with argparse's usage message and exit
status 2.
"""
import argparse
import sys
from typing import TYPE_CHECKING, List, Optional, Sequence

from mmengine.config import DictAction

if TYPE_CHECKING:
    from mmps.apis import SearchHit


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be >= 1, got {value}')
    return value


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('query_image', help='scene image holding the query')
    parser.add_argument(
        '--box',
        type=float,
        nargs=4,
        required=True,
        metavar=('X1', 'Y1', 'X2', 'Y2'),
        help='query person box, pixels of the query image')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--gallery', help='folder of gallery scene images')
    source.add_argument('--index', help='gallery index saved by --save-index')
    parser.add_argument('--config', required=True, help='model config')
    parser.add_argument('--checkpoint', required=True, help='model checkpoint')
    parser.add_argument(
        '--out', default='search_result.png', help='picture to write (PNG)')
    parser.add_argument(
        '--topk', type=positive_int, default=5, help='gallery hits to list and draw')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.5,
        help='ignore gallery detections scoring below it, in [0, 1]')
    parser.add_argument(
        '--device', default='cpu', help="torch device, e.g. 'cpu', 'cuda', 'cuda:1'")
    parser.add_argument(
        '--batch-size',
        type=positive_int,
        default=1,
        help='gallery images per forward pass')
    parser.add_argument('--save-index', help='save the gallery index here (.npz)')
    parser.add_argument(
        '--skip-unreadable',
        action='store_true',
        help='leave unreadable gallery images out of the index (one warning '
        'each) instead of stopping')
    parser.add_argument(
        '--allow-other-model',
        action='store_true',
        help='search an --index whatever model built it (its similarities '
        'are then meaningless unless the models agree)')
    parser.add_argument(
        '--panel-height',
        type=positive_int,
        default=256,
        help='height of each drawn image in pixels')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, key=value pairs')
    args = parser.parse_args(argv)
    if not 0 <= args.score_thr <= 1:  # also refuses nan
        parser.exit(
            2, f'{parser.prog}: error: --score-thr must be a number in [0, 1], '
            f'got {args.score_thr}\n')
    if args.index is not None and args.save_index is not None:
        parser.error('--save-index needs --gallery: with --index the gallery '
                     'is already indexed')
    return args


def print_hits(hits: List['SearchHit']) -> None:
    """Print the ranked list, one hit per line."""
    if not hits:
        print('no gallery detection passes the score threshold')
        return
    print(f'{"rank":>4}  {"similarity":>10}  {"score":>6}  box (x1 y1 x2 y2)'
          '  image')
    for rank, hit in enumerate(hits, 1):
        box = ' '.join(f'{v:.1f}' for v in hit.box)
        print(f'{rank:>4}  {hit.similarity:>10.4f}  {hit.score:>6.3f}  '
              f'{box}  {hit.image}')


def run(args: argparse.Namespace) -> None:
    """Search, print and draw; user errors raise ValueError or OSError,
    before any long computation where possible."""
    # imported here: the argument errors of parse_args come without waiting
    # for torch and mmdet to load
    import cv2
    import mmcv
    import numpy as np

    from mmps.apis import (GalleryIndex, check_query_box, index_gallery, init_searcher,
                           list_images, read_image, search)
    from mmps.visualization import PersonSearchVisualizer, SearchRow

    if not cv2.haveImageWriter(args.out):
        raise ValueError(f'cannot write a picture to {args.out}: use an image '
                         'extension, e.g. .png')
    query_image = read_image(args.query_image)
    query_box = check_query_box(args.box, query_image.shape[:2], args.query_image)
    if args.index is not None:
        gallery_index = GalleryIndex.load(args.index)
    else:
        gallery = list_images(args.gallery)
    searcher = init_searcher(args.config, args.checkpoint, args.device,
                             args.cfg_options)
    if args.index is None:
        gallery_index = index_gallery(
            searcher, gallery, args.batch_size, skip_unreadable=args.skip_unreadable)
        if len(gallery_index) < len(gallery):
            print(f'indexed {len(gallery_index)} of {len(gallery)} gallery images '
                  f'({len(gallery) - len(gallery_index)} unreadable, skipped)')
        if args.save_index is not None:
            gallery_index.save(args.save_index)
            print(f'saved the gallery index to {args.save_index}')
    hits = search(searcher, query_image, query_box, gallery_index, args.topk,
                  args.score_thr, args.allow_other_model)
    print_hits(hits)
    images = {hit.image: mmcv.bgr2rgb(read_image(hit.image)) for hit in hits}
    row = SearchRow(
        query_image=mmcv.bgr2rgb(query_image),
        query_box=query_box,
        hit_images=[images[hit.image] for hit in hits],
        hit_boxes=np.array([hit.box for hit in hits]).reshape(-1, 4),
        similarities=np.array([hit.similarity for hit in hits]))
    PersonSearchVisualizer(panel_height=args.panel_height).visualize_search(
        [row], out_file=args.out)
    print(f'saved {args.out}')


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the demo; return the exit status."""
    args = parse_args(argv)
    try:
        run(args)
    except (ValueError, OSError) as err:
        message = ' '.join(str(err).split())
        print(f'search_demo: error: {message}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
