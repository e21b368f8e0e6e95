"""Evaluate a checkpoint with the config's test loop and metrics.

The flags are mmdet 3.3's ``tools/test.py`` flags::

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out results.pkl]
        [--show] [--show-dir DIR] [--wait-time S] [--tta]
        [--cfg-options k=v ...] [--launcher pytorch]

``--out`` dumps every test sample's predictions (boxes, scores, embeddings
and the query-box embeddings) to a pickle, so the person-search protocol can
be rerun offline with other settings (``tools/analysis_tools/eval_results.py``).

A missing config or checkpoint file and an ``--out`` that is not a ``.pkl`` /
``.pickle`` file are one-line errors (exit status 2) before anything is built.
The checkpoint is loaded before the test loop, strictly
(:class:`~mmps.engine.StrictCheckpointRunner`): an empty, truncated or
non-PyTorch file, NaN or inf in a tensor, and keys missing from or foreign to
the config's model are one-line errors naming the file (exit status 1);
``--allow-partial-checkpoint`` loads the matching tensors only.
"""
import argparse
import os
import os.path as osp
import sys

from mmdet.evaluation import DumpDetResults
from mmdet.registry import RUNNERS
from mmengine.config import Config, DictAction

from mmps.utils import (adapt_cfg_to_cpu_launch, load_tool_cfg, register_all_modules,
                        start_launcher_watchdog)
from mmps.utils.strict_checkpoint import CheckpointError


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the directory to save the evaluation metrics')
    parser.add_argument(
        '--out', type=str, help='dump the predictions to a pickle file (.pkl)')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory (inside the work dir) where painted images are saved')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
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
    parser.add_argument('--tta', action='store_true', help='test-time augmentation')
    parser.add_argument(
        '--allow-partial-checkpoint',
        action='store_true',
        help='load a checkpoint that lacks some of the model keys or has others '
        '(they are logged); by default any difference is an error')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    error = check_args(args)
    if error:
        parser.exit(2, f'{parser.prog}: error: {error}\n')
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def check_args(args: argparse.Namespace) -> str:
    """The one-line error for an argument that cannot work, or ``''``."""
    if not osp.isfile(args.config):
        return f'config file {args.config} does not exist'
    # http://, s3://, torchvision://...: mmengine fetches these itself
    if '://' not in args.checkpoint and not osp.isfile(args.checkpoint):
        return f'checkpoint {args.checkpoint} does not exist'
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        return f'--out must be a .pkl or .pickle file, got {args.out}'
    return ''


def enable_visualization(cfg: Config, args: argparse.Namespace) -> None:
    """Switch on mmdet's visualization hook for ``--show``/``--show-dir``."""
    default_hooks = cfg.default_hooks
    if 'visualization' not in default_hooks:
        raise RuntimeError(
            '--show/--show-dir need `default_hooks.visualization` in the config')
    default_hooks.visualization.draw = True
    if args.show:
        default_hooks.visualization.show = True
        default_hooks.visualization.wait_time = args.wait_time
    if args.show_dir:
        default_hooks.visualization.test_out_dir = args.show_dir


def enable_tta(cfg: Config) -> None:
    """Wrap the model and the test pipeline for test-time augmentation."""
    if 'tta_model' not in cfg:
        raise RuntimeError('--tta needs `tta_model` (and `tta_pipeline`) in the config')
    if 'tta_pipeline' not in cfg:
        raise RuntimeError('--tta needs `tta_pipeline` in the config')
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    cfg.tta_model.module = cfg.model
    cfg.model = cfg.tta_model


def build_cfg(args: argparse.Namespace) -> Config:
    cfg = load_tool_cfg(args.config, args.launcher, args.cfg_options, args.work_dir)
    cfg.load_from = args.checkpoint
    if args.allow_partial_checkpoint:
        cfg.allow_partial_checkpoint = True
    if args.show or args.show_dir:
        enable_visualization(cfg, args)
    if args.tta:
        enable_tta(cfg)
    return cfg


def exit_with_error(message: str) -> None:
    """Print ``message`` as one error line and exit with status 1."""
    sys.stderr.write(f'{osp.basename(__file__)}: error: {" ".join(message.split())}\n')
    sys.exit(1)


def main() -> None:
    args = parse_args()
    # a worker of a distributed launch stops when its launcher is gone
    start_launcher_watchdog(args.launcher)
    cfg = build_cfg(args)

    register_all_modules(init_default_scope=False)
    adapt_cfg_to_cpu_launch(cfg, args.launcher)

    if 'runner_type' not in cfg:
        cfg.runner_type = 'StrictCheckpointRunner'
    runner = RUNNERS.build(cfg)
    if runner.distributed:
        backend = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('backend')
        runner.logger.info(f'World size: {runner.world_size} (backend: {backend})')

    try:
        runner.test_loop  # builds the test dataset: its files and protocol are checked
    except (OSError, ValueError) as err:
        exit_with_error(str(err))
    if args.out is not None:  # a .pkl/.pickle path (check_args)
        runner.test_evaluator.metrics.append(DumpDetResults(out_file_path=args.out))

    try:
        runner.test()
    except CheckpointError as err:  # before the first test iteration
        exit_with_error(str(err))


if __name__ == '__main__':
    main()
