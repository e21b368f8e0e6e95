"""The checks that an mmdet model can paint MGTS's person masks, shared by
the online segmentor of ``TwoStepSearcher`` and the offline mask tool
(``tools/misc/make_instance_masks.py``)."""
from typing import Optional, Sequence

from torch import nn

DEFAULT_SEGMENTOR = 'mmdet::mask_rcnn/mask-rcnn_r101_fpn_1x_coco.py'


def check_person_segmentor(model: nn.Module,
                           person_class: int,
                           classes: Optional[Sequence[str]] = None,
                           option: str = 'person_class') -> None:
    """Refuse a segmentor without masks or a class that is not 'person'.

    Args:
        model (nn.Module): The segmentor, an mmdet detector.
        person_class (int): The label taken for persons.
        classes (Sequence[str], optional): The segmentor's class names;
            None reads ``model.dataset_meta['classes']``, and without names
            the class is not checked. Defaults to None.
        option (str): How the user sets ``person_class``, named in the
            error: a config key or a command-line flag. Defaults to
            'person_class'.

    Raises:
        ValueError: The model predicts no masks, or ``classes`` does not
            call ``person_class`` 'person' (the message names the index of
            'person' when there is one).

    Example:
        >>> from torch import nn
        >>> segmentor = nn.Module()
        >>> segmentor.with_mask = True
        >>> check_person_segmentor(segmentor, 0, classes=('person', 'car'))
    """
    if not getattr(model, 'with_mask', False):
        raise ValueError(
            f'the segmentor {type(model).__name__} predicts no masks: use an '
            f'instance-segmentation config, e.g. {DEFAULT_SEGMENTOR!r}')
    if classes is None:
        classes = (getattr(model, 'dataset_meta', None) or {}).get('classes')
    classes = list(classes or [])
    if classes and (person_class >= len(classes) or classes[person_class] != 'person'):
        name = classes[person_class] if 0 <= person_class < len(classes) else 'no class'
        fix = (f"set {option} to the index of 'person' ({classes.index('person')})"
               if 'person' in classes else
               'use a segmentor trained with a person class (COCO)')
        raise ValueError(
            f"segmentor {option}={person_class} is {name!r}, not 'person': {fix}")
