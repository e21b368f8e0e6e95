from .rdlr_searcher import RDLRSearcher
from .two_step_searcher import TwoStepSearcher, build_segmentor

__all__ = ['TwoStepSearcher', 'build_segmentor', 'RDLRSearcher']
