"""BoxesToForegroundMasks: box-filled foreground targets at the final
image size."""
import pytest
from mmdet.datasets.transforms import Resize
from mmdet.registry import TRANSFORMS

from mmps.datasets.transforms import BoxesToForegroundMasks, LoadPersonSearchAnnotations


def test_registered():
    transform = TRANSFORMS.build(dict(type='BoxesToForegroundMasks', mode='instance'))
    assert isinstance(transform, BoxesToForegroundMasks)
    assert repr(transform) == "BoxesToForegroundMasks(mode='instance')"


@pytest.mark.parametrize('mode', ['semantic', 'instance'])
def test_boxes_to_foreground_masks(mode, two_persons):
    res = LoadPersonSearchAnnotations()(two_persons())
    res = Resize(scale=(200, 80), keep_ratio=True)(res)
    res = BoxesToForegroundMasks(mode=mode)(res)
    if mode == 'semantic':
        seg = res['gt_seg_map']
        assert seg.shape == (80, 200)
        assert seg[40, 50] == 1 and seg[40, 150] == 1 and seg[40, 100] == 0
        assert seg.sum() == 40 * 60 + 60 * 80
    else:
        masks = res['gt_masks'].masks
        assert masks.shape == (2, 80, 200)
        assert masks[0].sum() == 40 * 60 and masks[1].sum() == 60 * 80
    with pytest.raises(ValueError, match='mode'):
        BoxesToForegroundMasks(mode='soft')
