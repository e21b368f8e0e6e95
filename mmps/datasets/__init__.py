"""mmps.datasets: the person-search dataset, transforms and synthetic data."""
from .person_search_dataset import PersonSearchDataset
from .synthetic import (DEFAULT_SYNTHETIC_ROOT, ensure_synthetic_dataset,
                        make_synthetic_dataset)
from .transforms import (BoxesToForegroundMasks, KeepInstancesAligned,
                         LoadPersonSearchAnnotations, PackPersonSearchInputs)

__all__ = [
    'PersonSearchDataset', 'LoadPersonSearchAnnotations',
    'PackPersonSearchInputs', 'BoxesToForegroundMasks', 'KeepInstancesAligned',
    'DEFAULT_SYNTHETIC_ROOT', 'ensure_synthetic_dataset',
    'make_synthetic_dataset'
]
