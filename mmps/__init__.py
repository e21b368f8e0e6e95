"""mmps: person search for MMDetection 3.x.

Importing ``mmps`` (configs do it through ``custom_imports``) checks the mmcv
install, lets torch>=2.6 load mmengine checkpoints safely, and registers every
mmps module into mmdet's registries.
"""
from .utils.check_env import check_mmcv
from .version import __version__

check_mmcv()

from .utils.checkpoint import register_checkpoint_safe_globals  # noqa: E402

register_checkpoint_safe_globals()

from . import apis, datasets, engine, evaluation, models, visualization  # noqa: E402,F401

__all__ = ['__version__']
