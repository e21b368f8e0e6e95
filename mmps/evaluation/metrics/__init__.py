"""mmengine metrics of mmps."""
from .person_search_metric import PersonSearchMetric

__all__ = ['PersonSearchMetric']
