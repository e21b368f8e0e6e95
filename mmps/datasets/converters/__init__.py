"""Converters of the public person-search releases to the mmps schema."""
from .cuhk_sysu import convert_cuhk_sysu
from .prw import convert_prw
from .schema_builder import SchemaBuilder, dump_splits, format_summary

__all__ = [
    'convert_cuhk_sysu', 'convert_prw', 'SchemaBuilder', 'dump_splits', 'format_summary'
]
