from .person_search_two_stage import PersonSearchTwoStage

__all__ = ['PersonSearchTwoStage']
