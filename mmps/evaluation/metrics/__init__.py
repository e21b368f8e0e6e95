"""mmengine metrics of mmps."""
from .person_detection_metric import PersonDetectionMetric
from .person_search_metric import PersonSearchMetric

__all__ = ['PersonSearchMetric', 'PersonDetectionMetric']
