"""Train a person-search (or any mmdet) model from a config.

The flags are mmdet 3.3's ``tools/train.py`` flags, so existing habits and
scripts keep working::

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--auto-scale-lr] [--cfg-options k=v ...] [--launcher pytorch]

Without CUDA, a distributed launch (``tools/dist_train.sh CONFIG N``) runs
with the gloo backend on CPU.

A missing config file or ``--resume`` / ``load_from`` checkpoint is a
one-line error (exit status 2) before anything is built. Checkpoints are
loaded by :class:`~mmps.engine.StrictCheckpointRunner`: an empty, truncated
or non-PyTorch file, NaN or inf in a tensor, and (``load_from`` and
``--resume``) keys missing from or foreign to the config's model are
one-line errors naming the file (exit status 1);
``--allow-partial-checkpoint`` loads the matching tensors of ``load_from``
only, e.g. to fine-tune. ``--resume`` without a path continues from the
newest loadable checkpoint of the work dir, with a warning when that is not
the one ``last_checkpoint`` names. Checkpoints are saved atomically
(:class:`~mmps.engine.AtomicCheckpointHook` in the configs). A non-finite
loss, gradient norm or weight stops training with one line naming the
iteration (:class:`~mmps.engine.NonFiniteGuardHook`, exit status 1).
"""
import argparse
import os
import os.path as osp
import sys

from mmdet.registry import RUNNERS
from mmengine.config import Config, DictAction

from mmps.engine import NonFiniteTrainingError
from mmps.utils import (adapt_cfg_to_cpu_launch, fill_anchor_scales,
                        fill_num_person_ids, load_tool_cfg, register_all_modules,
                        start_launcher_watchdog)
from mmps.utils.strict_checkpoint import CheckpointError


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
        '--allow-partial-checkpoint',
        action='store_true',
        help='let load_from (or --resume) miss some of the model keys or hold '
        'others, e.g. to fine-tune (they are logged); by default any difference '
        'is an error')
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
    if args.allow_partial_checkpoint:
        cfg.allow_partial_checkpoint = True
    return cfg


def check_load_from(cfg: Config) -> str:
    """The one-line error for a ``load_from`` file that does not exist, or
    ``''``."""
    load_from = cfg.get('load_from')
    if load_from and not cfg.get('resume') and '://' not in load_from \
            and not osp.isfile(load_from):
        return f'load_from checkpoint {load_from} does not exist'
    return ''


def exit_with_error(message: str, status: int) -> None:
    """Print ``message`` as one error line of this tool and exit."""
    sys.stderr.write(f'{osp.basename(__file__)}: error: {" ".join(message.split())}\n')
    sys.exit(status)


def main() -> None:
    args = parse_args()
    # a worker of a distributed launch stops when its launcher is gone
    start_launcher_watchdog(args.launcher)
    cfg = build_cfg(args)
    error = check_load_from(cfg)
    if error:
        exit_with_error(error, status=2)

    # mmps's modules, and what mmengine checkpoints hold for torch>=2.6;
    # importing mmps.models checks the mmcv install with a clear message
    register_all_modules(init_default_scope=False)
    adapt_cfg_to_cpu_launch(cfg, args.launcher)
    try:
        # OIM lookup tables are sized from the training data (num_person_ids=None)
        fill_num_person_ids(cfg)
        # anchor scales asked from the training heights (MGTS's CNNv)
        fill_anchor_scales(cfg)
    except (FileNotFoundError, ValueError) as err:
        exit_with_error(str(err), status=2)

    if 'runner_type' not in cfg:
        cfg.runner_type = 'StrictCheckpointRunner'
    runner = RUNNERS.build(cfg)
    if runner.distributed:
        backend = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('backend')
        runner.logger.info(f'World size: {runner.world_size} (backend: {backend})')
    try:
        runner.train()
    except (CheckpointError, NonFiniteTrainingError) as err:
        exit_with_error(str(err), status=1)


if __name__ == '__main__':
    main()
