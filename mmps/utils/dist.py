"""Distributed launch on machines without CUDA.

mmengine's ``init_dist`` calls ``torch.cuda.set_device`` and its DDP wrapper
passes ``device_ids=[LOCAL_RANK]``; both fail on a CPU-only torch. mmps' train
and test tools call :func:`adapt_cfg_to_cpu_launch` so that
``tools/dist_train.sh CONFIG 2`` also runs on a laptop or a CPU CI machine:
the process group is created with the gloo backend from torchrun's environment
variables before the runner starts (the runner then skips its own
initialisation), and DDP wraps the model with ``device_ids=None``.
"""
import os

import torch
import torch.distributed as torch_dist
from mmengine.config import Config

TORCHRUN_VARIABLES = ('RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')


def adapt_cfg_to_cpu_launch(cfg: Config, launcher: str) -> None:
    """Prepare ``cfg`` (in place) and the process group for a CPU-only launch.

    Does nothing when CUDA is available or ``launcher == 'none'``.

    Args:
        cfg (Config): The full config about to be given to the runner.
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.

    Raises:
        RuntimeError: For a launcher other than ``'pytorch'`` without CUDA, or
            when torchrun's environment variables are missing.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise RuntimeError(
            f'--launcher {launcher} needs CUDA; without a GPU use the pytorch '
            'launcher (tools/dist_train.sh CONFIG NUM_PROCESSES), which runs '
            'with the gloo backend on CPU.')
    missing = [name for name in TORCHRUN_VARIABLES if name not in os.environ]
    if missing:
        raise RuntimeError(
            f'--launcher pytorch expects torchrun to set {", ".join(missing)}; '
            'start the tool with tools/dist_train.sh or tools/dist_test.sh.')
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
