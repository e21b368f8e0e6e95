from .base_person_searcher import (BasePersonSearcher, check_person_searcher,
                                   contract_error)
from .person_search_single_stage import PersonSearchSingleStage
from .person_search_two_stage import PersonSearchTwoStage

__all__ = [
    'BasePersonSearcher', 'check_person_searcher', 'contract_error',
    'PersonSearchTwoStage', 'PersonSearchSingleStage'
]
