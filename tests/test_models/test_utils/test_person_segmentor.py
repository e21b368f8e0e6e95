import pytest
from torch import nn

from mmps.models.utils import check_person_segmentor


def segmentor(with_mask: bool = True, classes=None) -> nn.Module:
    model = nn.Module()
    model.with_mask = with_mask
    if classes is not None:
        model.dataset_meta = dict(classes=classes)
    return model


def test_accepts_a_mask_model_whose_class_is_person():
    check_person_segmentor(segmentor(), 1, classes=('car', 'person'))
    check_person_segmentor(segmentor(classes=('car', 'person')), 1)
    # without class names the class cannot be checked
    check_person_segmentor(segmentor(), 5)


def test_refuses_a_model_without_masks():
    with pytest.raises(
            ValueError,
            match='the segmentor Module predicts no masks: use '
            "an instance-segmentation config, e.g. 'mmdet::mask_rcnn/"):
        check_person_segmentor(segmentor(with_mask=False), 0)


@pytest.mark.parametrize('option', ['person_class', '--person-class'])
def test_names_the_index_of_person_in_the_callers_terms(option):
    # the names come from the argument first, then from dataset_meta
    with pytest.raises(
            ValueError,
            match=f"segmentor {option}=0 is 'car', not 'person': set {option} to "
            r"the index of 'person' \(2\)"):
        check_person_segmentor(
            segmentor(classes=('person', 'bus')),
            0,
            classes=('car', 'bus', 'person'),
            option=option)


def test_a_class_out_of_range_or_no_person_class():
    with pytest.raises(ValueError, match="person_class=4 is 'no class'"):
        check_person_segmentor(segmentor(classes=('person', )), 4)
    with pytest.raises(ValueError, match='use a segmentor trained with a person class'):
        check_person_segmentor(segmentor(classes=('car', 'bus')), 0)
