"""Converters of the public person-search releases to the mmps schema."""
from .cuhk_sysu import convert_cuhk_sysu
from .lsps import convert_lsps
from .market1501 import convert_market1501
from .maskps import convert_maskps, format_maskps_summary
from .prw import convert_prw
from .schema_builder import SchemaBuilder, dump_splits, format_summary

__all__ = [
    'convert_cuhk_sysu', 'convert_lsps', 'convert_maskps', 'format_maskps_summary',
    'convert_prw', 'SchemaBuilder', 'dump_splits', 'format_summary',
    'convert_market1501'
]
