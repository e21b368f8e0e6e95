"""LoadInstanceMap: the instance label map of Algorithm 1 from a mask file
or from annotated masks, painted in ascending score order."""
import numpy as np
import pytest
import torch
from mmdet.datasets.transforms import LoadAnnotations
from mmdet.registry import TRANSFORMS

from mmps.datasets.instance_mask_file import dump_instance_mask_file, encode_masks
from mmps.datasets.transforms import LoadInstanceMap
from mmps.models.utils.foreground_separation import paint_instance_map


def _file(tmp_path, masks, scores, height=40, width=100, img_id=5, name='x.jpg'):
    path = str(tmp_path / 'masks.json')
    dump_instance_mask_file(path,
                            dict(ann_file='train.json', checkpoint_sha256='0' * 64), [
                                dict(
                                    id=img_id,
                                    file_name=name,
                                    height=height,
                                    width=width,
                                    masks=encode_masks(masks),
                                    scores=scores)
                            ])
    return path


def test_is_an_annotation_loader_so_the_search_api_drops_it():
    transform = TRANSFORMS.build(dict(type='LoadInstanceMap', source='annotations'))
    assert isinstance(transform, LoadAnnotations)


def test_file_masks_are_painted_in_ascending_score_order(tmp_path, two_persons):
    masks = np.zeros((3, 40, 100), bool)
    masks[0, 5:35, 10:30] = True  # score 0.6
    masks[1, 0:40, 25:90] = True  # score 0.9: wins the overlap
    masks[2, :, :5] = True  # score 0.2: dropped
    scores = [0.6, 0.9, 0.2]
    results = LoadInstanceMap(mask_file=_file(tmp_path, masks, scores))(two_persons())
    label_map = results['instance_map']
    assert label_map.dtype == np.int32 and label_map.shape == (40, 100)
    expected = paint_instance_map(torch.from_numpy(masks), torch.tensor(scores), 0.5)
    assert np.array_equal(label_map, expected.numpy())
    assert label_map[20, 27] == 2 and label_map[20, 12] == 1 and label_map[20, 2] == 0


def test_annotated_masks_are_painted_and_box_stand_ins_skipped(two_persons):
    results = two_persons()
    results['instances'][1]['mask_valid'] = False  # a box stand-in
    label_map = LoadInstanceMap(source='annotations')(results)['instance_map']
    assert set(np.unique(label_map)) == {0, 1}
    assert label_map[20, 20] == 1 and label_map[20, 75] == 0


@pytest.mark.parametrize('change, match', [
    (dict(img_id=6), 'has no masks for image 5 .*made for train.json'),
    (dict(name='y.jpg'), 'has no masks for image 5'),
    (dict(height=30), 'gives 30x100 for image 5 but it is 40x100: remake'),
])
def test_a_mask_file_of_other_images_is_refused(tmp_path, two_persons, change, match):
    path = _file(tmp_path, np.zeros((0, 40, 100), bool), [], **change)
    with pytest.raises(ValueError, match=match):
        LoadInstanceMap(mask_file=path)(two_persons())


def test_missing_mask_file_names_the_tool(tmp_path, two_persons):
    with pytest.raises(
            FileNotFoundError,
            match='make it with python tools/misc/make_instance_masks.py'):
        LoadInstanceMap(mask_file=str(tmp_path / 'none.json'))(two_persons())


def test_annotations_without_masks_are_refused(two_persons):
    results = two_persons()
    for inst in results['instances']:
        inst['mask_valid'] = False
    with pytest.raises(
            ValueError, match="found no annotated mask .* use source='file'"):
        LoadInstanceMap(source='annotations')(results)


@pytest.mark.parametrize('kwargs, match', [
    (dict(source='fcis'), "source must be 'file' or 'annotations'"),
    (dict(source='file'), 'needs mask_file'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LoadInstanceMap(**kwargs)
