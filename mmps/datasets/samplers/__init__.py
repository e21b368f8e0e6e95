"""Data samplers of mmps (registered in mmdet's ``DATA_SAMPLERS``)."""
from .identity_sampler import IdentitySampler

__all__ = ['IdentitySampler']
