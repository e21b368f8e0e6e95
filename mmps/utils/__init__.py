from .check_env import MMCVInstallError, check_mmcv
from .checkpoint import checkpoint_safe_globals, register_checkpoint_safe_globals
from .dist import adapt_cfg_to_cpu_launch

__all__ = [
    'MMCVInstallError', 'check_mmcv', 'checkpoint_safe_globals',
    'register_checkpoint_safe_globals', 'adapt_cfg_to_cpu_launch'
]
