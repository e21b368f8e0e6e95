from .atomic_checkpoint_hook import AtomicCheckpointHook
from .loss_divergence_hook import LossDivergenceHook
from .nonfinite_guard_hook import NonFiniteGuardHook, NonFiniteTrainingError

__all__ = [
    'AtomicCheckpointHook', 'LossDivergenceHook', 'NonFiniteGuardHook',
    'NonFiniteTrainingError'
]
