"""mmps.engine: training and test machinery registered in mmdet's registries
on import: :class:`AtomicCheckpointHook` (crash-safe saves), the training
guards and :class:`StrictCheckpointRunner` (checked checkpoint loading)."""
from .hooks import (AtomicCheckpointHook, LossDivergenceHook, NonFiniteGuardHook,
                    NonFiniteTrainingError)
from .runner import StrictCheckpointRunner

__all__ = [
    'AtomicCheckpointHook', 'LossDivergenceHook', 'NonFiniteGuardHook',
    'NonFiniteTrainingError', 'StrictCheckpointRunner'
]
