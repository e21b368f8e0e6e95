"""mmps.datasets: the person-search dataset, transforms, schema validation
and synthetic data; release converters in :mod:`mmps.datasets.converters`,
background-influence variants in :mod:`mmps.datasets.background_variants`.
"""
from .person_crop_dataset import PersonCropDataset
from .person_search_dataset import PersonSearchDataset
from .samplers import IdentitySampler
from .synthetic import (DEFAULT_SYNTHETIC_ROOT, ensure_synthetic_dataset,
                        make_synthetic_dataset)
from .transforms import (BoxesToForegroundMasks, KeepInstancesAligned,
                         LoadPersonSearchAnnotations, PackPersonSearchInputs)
from .validation import MASK_SOURCES, AnnotationReport, validate_annotations

__all__ = [
    'PersonSearchDataset', 'LoadPersonSearchAnnotations', 'PackPersonSearchInputs',
    'BoxesToForegroundMasks', 'KeepInstancesAligned', 'DEFAULT_SYNTHETIC_ROOT',
    'ensure_synthetic_dataset', 'make_synthetic_dataset', 'MASK_SOURCES',
    'AnnotationReport', 'validate_annotations', 'PersonCropDataset', 'IdentitySampler'
]
