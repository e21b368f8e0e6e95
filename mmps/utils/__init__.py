from .anchor_scales import fill_anchor_scales
from .check_env import MMCVInstallError, check_mmcv
from .checkpoint import checkpoint_safe_globals, register_checkpoint_safe_globals
from .dist import adapt_cfg_to_cpu_launch
from .launcher_watchdog import start_launcher_watchdog
from .model_builder import build_person_search_model
from .num_person_ids import fill_num_person_ids, has_unfilled_num_person_ids
from .setup_env import register_all_modules
from .strict_checkpoint import (CheckpointError, load_matching_checkpoint,
                                read_checkpoint)
from .tool_cfg import load_tool_cfg

__all__ = [
    'fill_anchor_scales', 'MMCVInstallError', 'check_mmcv', 'checkpoint_safe_globals',
    'register_checkpoint_safe_globals', 'adapt_cfg_to_cpu_launch',
    'build_person_search_model', 'fill_num_person_ids', 'has_unfilled_num_person_ids',
    'register_all_modules', 'load_matching_checkpoint', 'load_tool_cfg',
    'start_launcher_watchdog', 'CheckpointError', 'read_checkpoint'
]
