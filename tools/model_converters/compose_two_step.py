"""Join a detector, a re-ID network and (optionally) a segmentor, each
trained apart, into one checkpoint of a two-step searcher config.

Each part is loaded strictly into its place of the config's model
(``mmps.utils.compose_checkpoint.compose_two_step``); the result loads with
``init_searcher`` and ``tools/test.py``.

Example:
    python tools/model_converters/compose_two_step.py \
        configs/mgts/mgts_search_tiny_synthetic.py \
        --detector work_dirs/det/epoch_12.pth --reid work_dirs/reid/epoch_12.pth \
        --out work_dirs/mgts_search_tiny.pth
"""
import argparse
from typing import List, Optional

from mmps.utils import register_all_modules
from mmps.utils.compose_checkpoint import compose_two_step, save_composed
from mmps.utils.strict_checkpoint import CheckpointError


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Join the parts of a two-step searcher into one checkpoint')
    parser.add_argument('config', help='the searcher config file')
    parser.add_argument('--detector', required=True, help='detector checkpoint')
    parser.add_argument('--reid', required=True, help='re-ID checkpoint')
    parser.add_argument(
        '--segmentor',
        help='instance segmentor checkpoint, when '
        'the config has model.segmentor')
    parser.add_argument('--out', required=True, help='output checkpoint file')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    register_all_modules()
    try:
        checkpoint = compose_two_step(args.config, args.detector, args.reid,
                                      args.segmentor)
        save_composed(checkpoint, args.out)
    except (OSError, ValueError, CheckpointError) as err:
        raise SystemExit(f'error: {err}')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
