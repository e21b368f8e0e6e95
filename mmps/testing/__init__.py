"""Helpers for tests, benchmarks and smoke runs of the tool chain (not used
by models)."""
from ._utils import (free_port, get_config_file, get_repo_root, get_tool, last_line,
                     run_tool)
from .data_samples import make_det_sample, random_person_boxes
from .interrupt_hook import KillAfterEpochHook
from .nonfinite_injection_hook import InjectNonFiniteHook
from .search_cases import (make_search_case, make_search_split, random_search_case,
                           record_to_sample, search_case_records)
from .search_loop_reference import loop_search
from .tiny_data import TINY_SYNTHETIC_CFG
from .tiny_models import TINY_IMG_H, TINY_IMG_W, TINY_SCALE, tiny_model_cfg
from .toy_detection import make_toy_detection_dataset
from .worker_threads import threads_per_worker

__all__ = [
    'free_port', 'get_config_file', 'get_repo_root', 'get_tool', 'last_line',
    'run_tool', 'make_det_sample', 'random_person_boxes', 'KillAfterEpochHook',
    'InjectNonFiniteHook', 'TINY_IMG_H', 'TINY_IMG_W', 'TINY_SCALE', 'tiny_model_cfg',
    'make_toy_detection_dataset', 'TINY_SYNTHETIC_CFG', 'make_search_case',
    'make_search_split', 'random_search_case', 'record_to_sample',
    'search_case_records', 'loop_search', 'threads_per_worker'
]
