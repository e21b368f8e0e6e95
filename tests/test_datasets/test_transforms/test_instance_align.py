"""KeepInstancesAligned: instance-dropping transforms keep person ids and
mask flags with their boxes."""
from mmdet.datasets.transforms import RandomCrop
from mmdet.registry import TRANSFORMS

from mmps.datasets.transforms import KeepInstancesAligned, PackPersonSearchInputs


def test_registered():
    transform = TRANSFORMS.build(
        dict(type='KeepInstancesAligned', transforms=[dict(type='FilterAnnotations')]))
    assert isinstance(transform, KeepInstancesAligned)
    assert transform.keys == ('gt_instances_ids', 'gt_masks_valid')


def test_random_crop_drops_ids_and_flags_with_their_boxes(three_persons):
    res = three_persons()
    crop = RandomCrop(crop_size=(50, 40), allow_negative_crop=True)
    # crop x in [0, 50): the right person leaves, the middle one is cut
    crop._rand_offset = lambda margin: (0, 0)
    res = KeepInstancesAligned([crop])(res)
    assert res['gt_bboxes'].numpy().shape == (2, 4)
    assert res['gt_instances_ids'].tolist() == [9, 4]
    assert res['gt_masks_valid'].tolist() == [False, True]
    assert res['gt_bboxes_labels'].tolist() == [0, 0]
    assert len(res['gt_masks']) == 2
    packed = PackPersonSearchInputs()(res)['data_samples'].gt_instances
    assert packed.mask_valid.tolist() == [False, True]


def test_filter_annotations_keeps_flags_aligned(three_persons):
    res = three_persons()
    # only the middle (15 px wide) person is not wider than 16 px
    wrapped = KeepInstancesAligned(
        [dict(type='FilterAnnotations', min_gt_bbox_wh=(16, 16))])
    res = wrapped(res)
    assert res['gt_instances_ids'].tolist() == [-1, 4]
    assert res['gt_masks_valid'].tolist() == [False, True]
    # mmdet drops a sample left without boxes; so does the wrapper
    assert KeepInstancesAligned([
        dict(type='FilterAnnotations', min_gt_bbox_wh=(99, 99))
    ])(three_persons()) is None
