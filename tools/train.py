"""Train a person-search (or any mmdet) model from a config.

The flags are mmdet 3.3's ``tools/train.py`` flags, so existing habits and
scripts keep working::

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--auto-scale-lr] [--cfg-options k=v ...] [--launcher pytorch]

Without CUDA, a distributed launch (``tools/dist_train.sh CONFIG N``) runs
with the gloo backend on CPU.

A missing config file or ``--resume`` checkpoint is a one-line error (exit
status 2) before anything is built.
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmps.utils import (adapt_cfg_to_cpu_launch, fill_num_person_ids, load_tool_cfg,
                        register_all_modules)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a person-search model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and checkpoints')
    parser.add_argument(
        '--amp', action='store_true', help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the actual total batch size')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the latest checkpoint '
        'of the work dir when no path is given')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, key=value pairs (xxx=yyy)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank (torch >= 2.0) or --local_rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    error = check_args(args)
    if error:
        parser.exit(2, f'{parser.prog}: error: {error}\n')
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def check_args(args: argparse.Namespace) -> str:
    """The one-line error for a path that cannot work, or ``''``."""
    if not osp.isfile(args.config):
        return f'config file {args.config} does not exist'
    # http://, s3://...: mmengine fetches these itself
    if args.resume not in (None, 'auto') and '://' not in args.resume \
            and not osp.isfile(args.resume):
        return f'--resume checkpoint {args.resume} does not exist'
    return ''


def build_cfg(args: argparse.Namespace) -> Config:
    """Merge the command-line options into the config."""
    cfg = load_tool_cfg(args.config, args.launcher, args.cfg_options, args.work_dir)

    if args.amp:
        optim_wrapper_type = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper_type == 'AmpOptimWrapper':
            print('AMP is already enabled in the config.')
        else:
            assert optim_wrapper_type == 'OptimWrapper', (
                '--amp supports OptimWrapper only, the config uses '
                f'{optim_wrapper_type}')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'

    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise RuntimeError(
                '--auto-scale-lr needs `auto_scale_lr = dict(base_batch_size=...)` '
                'in the config')
        cfg.auto_scale_lr.enable = True

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def main() -> None:
    args = parse_args()
    cfg = build_cfg(args)

    # mmps's modules, and what mmengine checkpoints hold for torch>=2.6;
    # importing mmps.models checks the mmcv install with a clear message
    register_all_modules(init_default_scope=False)
    adapt_cfg_to_cpu_launch(cfg, args.launcher)
    # OIM lookup tables are sized from the training data (num_person_ids=None)
    fill_num_person_ids(cfg)

    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    if runner.distributed:
        backend = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('backend')
        runner.logger.info(f'World size: {runner.world_size} (backend: {backend})')
    runner.train()


if __name__ == '__main__':
    main()
