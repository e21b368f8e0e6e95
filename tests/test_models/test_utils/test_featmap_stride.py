"""The stride check that BUFF's branches run on the levels they read."""
import pytest

from mmps.models.utils import check_featmap_stride


@pytest.mark.parametrize(
    'input_size, featmap_size, ok',
    [
        (96, 12, True),  # exact
        (100, 12, True),  # floor(100 / 8)
        (100, 13, True),  # ceil(100 / 8), e.g. padded strided convolutions
        (100, 11, False),
        (100, 14, False),
        (96, 24, False),  # a stride-4 map
        (96, 6, False),  # a stride-16 map
    ])
def test_featmap_stride_check_allows_rounding_only(input_size, featmap_size, ok):
    args = ((featmap_size, 12), 8, (input_size, 96), 'level 2 (conv3)')
    if ok:
        check_featmap_stride(*args)
        return
    with pytest.raises(ValueError) as error:
        check_featmap_stride(*args)
    assert str(error.value).startswith(
        f'level 2 (conv3): the feature map is {featmap_size}x12 for a padded '
        f'batch input of {input_size}x96, but the configured stride 8')
