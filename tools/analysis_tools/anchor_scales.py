"""Anchor scales from the person heights of a config's training split.

Reads the training split of CONFIG, scales each box height by the Resize
of the training pipeline (the detector's input frame), and prints the
height percentiles and, for each anchor generator of the model, the scales
uniform in log space between them (``mmps.utils.anchor_scales``), the
anchor sizes per ratio and a ``--cfg-options`` line that sets them. These
are the scales ``tools/train.py`` fills into a config that asks for them
(``scales=dict(type='height_percentiles', ...)``, MGTS's CNNv).

Example:
    python tools/analysis_tools/anchor_scales.py \
        configs/mgts/mgts_det_vgg16_cuhk_sysu.py --percentiles 1 99
"""
import argparse
import os.path as osp
from typing import List, Optional

from mmengine.config import Config, DictAction

from mmps.utils import register_all_modules
from mmps.utils.anchor_scales import anchor_scales_report, training_person_heights


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Anchor scales from the training person heights')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--percentiles',
        nargs=2,
        type=float,
        metavar=('LOW', 'HIGH'),
        help='height percentiles of the first and last scale; default: the '
        "config's request, else 1 99")
    parser.add_argument(
        '--num',
        type=int,
        help="number of scales; default: the config's request, else its count")
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, key=value pairs (xxx=yyy)')
    args = parser.parse_args(argv)
    if not osp.isfile(args.config):
        parser.error(f'config file not found: {args.config}')
    if args.percentiles and not 0 <= args.percentiles[0] < args.percentiles[1] <= 100:
        parser.error('--percentiles must satisfy 0 <= LOW < HIGH <= 100')
    if args.num is not None and args.num < 2:
        parser.error('--num must be >= 2')
    return args


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    try:
        heights = training_person_heights(cfg)
        lines = anchor_scales_report(cfg, heights, args.percentiles, args.num)
    except (ValueError, FileNotFoundError) as error:
        raise SystemExit(f'error: {error}')
    print(f'config: {args.config}')
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
