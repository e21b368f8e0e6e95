"""Helpers for tests and smoke runs of the tool chain (not used by models)."""
from .interrupt_hook import KillAfterEpochHook
from .toy_detection import make_toy_detection_dataset

__all__ = ['KillAfterEpochHook', 'make_toy_detection_dataset']
