"""Synthetic person-search data: scenes, the mmps schema and mini releases."""
from .generator import (DEFAULT_SYNTHETIC_CFG, DEFAULT_SYNTHETIC_ROOT, SyntheticScenes,
                        build_synthetic_scenes, ensure_synthetic_dataset,
                        make_synthetic_dataset, scenes_to_schema)
from .releases import write_cuhk_sysu_release, write_lsps_release, write_prw_release

__all__ = [
    'DEFAULT_SYNTHETIC_CFG', 'DEFAULT_SYNTHETIC_ROOT', 'SyntheticScenes',
    'build_synthetic_scenes', 'ensure_synthetic_dataset', 'make_synthetic_dataset',
    'scenes_to_schema', 'write_cuhk_sysu_release', 'write_lsps_release',
    'write_prw_release'
]
