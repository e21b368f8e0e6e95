"""Count the parameters of a model config, per module.

Builds the model of CONFIG (no weights are loaded) and prints its parameter
count with a breakdown over ``backbone``, ``neck``, ``rpn_head`` and the
children of ``roi_head``; the frozen share (``requires_grad=False``, e.g. the
OIM recipe's conv1 with its BatchNorm, ``frozen_stages=0``, and the affine
weights of all its BatchNorms) is given beside it. Buffers are not
parameters: the OIM lookup table and queue (and any other buffer outside
normalisation layers) are listed separately.

The lookup-table size of an OIM config (``num_person_ids=None``) is read
from the training data, as the training tools do; without the data, give
it with ``--num-person-ids`` (CUHK-SYSU: 5532, PRW: 483).

Example:
    python tools/analysis_tools/get_params.py \
        configs/oim/oim_r50_c4_cuhk_sysu.py --num-person-ids 5532
"""
import argparse
import math
import os.path as osp
from typing import List, Optional

from mmengine.config import Config, DictAction

from mmps.utils import (build_person_search_model, fill_num_person_ids,
                        register_all_modules)
from mmps.utils.model_stats import count_breakdown, count_module, state_buffers


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Count the parameters of a model config, per module')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--num-person-ids',
        type=int,
        help='OIM lookup-table size; default: read from the training data')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, key=value pairs (xxx=yyy)')
    args = parser.parse_args(argv)
    if not osp.isfile(args.config):
        parser.error(f'config file not found: {args.config}')
    if args.num_person_ids is not None and args.num_person_ids < 0:
        parser.error('--num-person-ids must be >= 0')
    return args


def millions(num: int) -> str:
    """``num`` in millions, two decimals."""
    return f'{num / 1e6:.2f} M'


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    source = ('from --num-person-ids'
              if args.num_person_ids is not None else 'from the training data')
    try:
        num_ids = fill_num_person_ids(cfg, args.num_person_ids)
    except FileNotFoundError as error:
        raise SystemExit(f'error: the OIM lookup-table size is read from the training '
                         f'data, which is missing ({error}).\nGive it with '
                         f'--num-person-ids N (CUHK-SYSU: 5532, PRW: 483).')
    # no weights are read: the modules keep their own initialisation
    model = build_person_search_model(cfg, init_weights=False)

    print(f'config: {args.config}')
    if num_ids is not None:
        print(f'OIM lookup-table size (num_person_ids): {num_ids} ({source})')
    rows = count_breakdown(model)
    total = count_module(model, 'total')
    width = max(len(row.name) for row in rows + [total])
    print(f'\n{"module":<{width}} {"parameters":>12} {"":>9} '
          f'{"trainable":>12} {"buffers":>11}')
    for row in rows + [total]:
        print(f'{row.name:<{width}} {row.params:>12,} '
              f'{millions(row.params):>9} {row.trainable:>12,} '
              f'{row.buffers:>11,}')
    frozen = total.params - total.trainable
    print(f'\nparameters: {total.params:,} ({millions(total.params)}); '
          f'trainable {total.trainable:,} ({millions(total.trainable)}), '
          f'frozen {frozen:,} ({millions(frozen)})')
    extra = state_buffers(model)
    if extra:
        print('buffers outside normalisation layers (saved with the '
              'checkpoint; not parameters, in the buffers column only):')
        for name, shape in extra:
            numel = math.prod(shape)
            print(f'  {name} {shape}: {numel:,} ({millions(numel)})')


if __name__ == '__main__':
    main()
