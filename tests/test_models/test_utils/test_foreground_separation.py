"""Algorithm 1 of MGTS: vote, tie, empty crop, tight box, F/O/B."""
import pytest
import torch

from mmps.models.utils.foreground_separation import (box_masks, dominant_instances,
                                                     instance_masks, paint_instance_map,
                                                     separate_foreground)


def _map(height=20, width=10):
    return torch.zeros(height, width, dtype=torch.int32)


def test_majority_vote_ignores_background_and_breaks_ties_low():
    label_map = _map()
    label_map[0:10, 0:10] = 2  # 100 pixels of 2
    label_map[10:14, 0:10] = 5  # 40 pixels of 5; the rest is background
    box = torch.tensor([[0., 0., 10., 20.]])
    assert dominant_instances(label_map, box).tolist() == [2]
    # inside the lower half, background (60 px) outnumbers 5 (40 px)
    lower = torch.tensor([[0., 10., 10., 20.]])
    assert dominant_instances(label_map, lower).tolist() == [5]
    tie = _map()
    tie[:, 0:5] = 7
    tie[:, 5:10] = 3
    assert dominant_instances(tie, box).tolist() == [3]


def test_vote_counts_pixels_of_the_widened_box_only():
    label_map = _map()
    label_map[0:4, :] = 1  # above the box
    label_map[8:10, :] = 2  # inside the box, fewer pixels than 1
    box = torch.tensor([[0., 6., 10., 12.]])
    assert dominant_instances(label_map, box, 1.0).tolist() == [2]
    # gamma 3 covers rows 0..20: 40 pixels of 1 against 20 of 2
    assert dominant_instances(label_map, box, 3.0).tolist() == [1]


def test_instance_mask_samples_the_dominant_label_on_the_patch_grid():
    label_map = _map()
    label_map[:, 0:5] = 4
    label_map[:, 5:7] = 9
    box = torch.tensor([[0., 0., 10., 20.]])
    masks = instance_masks(label_map, box, size=(4, 10))
    assert masks.shape == (1, 1, 4, 10)
    expected = torch.zeros(4, 10)
    expected[:, :5] = 1
    assert torch.equal(masks[0, 0], expected)
    # another person's pixels (label 9) are background of this box
    assert set(masks.unique().tolist()) == {0.0, 1.0}


def test_instance_mask_is_zero_outside_the_image():
    label_map = _map()
    label_map[:] = 1
    box = torch.tensor([[0., 0., 10., 20.]])
    masks = instance_masks(label_map, box, size=(4, 4), expand_ratio=2.0)
    # b_gamma = (-5, -10, 15, 30): only the middle half of the grid is inside
    expected = torch.zeros(4, 4)
    expected[1:3, 1:3] = 1
    assert torch.equal(masks[0, 0], expected)


def test_empty_crop_falls_back_to_the_tight_box_and_is_reported():
    label_map = _map()
    label_map[0:5, 0:5] = 1
    boxes = torch.tensor([[0., 0., 5., 5.], [2., 10., 8., 20.]])
    masks, fallbacks = instance_masks(
        label_map, boxes, size=(8, 4), expand_ratio=1.2, return_fallbacks=True)
    assert fallbacks.tolist() == [False, True]
    assert torch.equal(masks[1], box_masks((20, 10), boxes[1:], (8, 4), 1.2)[0])
    assert masks[1].sum() > 0


def test_instance_mask_of_a_painted_box_equals_the_box_mask():
    label_map = _map(40, 30)
    boxes = torch.tensor([[3.2, 5.7, 21.4, 33.1]])
    # paint the pixels whose centres lie inside the box
    rows = (torch.arange(40) + 0.5 >= 5.7) & (torch.arange(40) + 0.5 < 33.1)
    cols = (torch.arange(30) + 0.5 >= 3.2) & (torch.arange(30) + 0.5 < 21.4)
    label_map[rows[:, None] & cols[None]] = 3
    for gamma in (1.0, 1.3):
        assert torch.equal(
            instance_masks(label_map, boxes, (16, 8), gamma),
            box_masks((40, 30), boxes, (16, 8), gamma))


def test_box_mask_marks_the_tight_box_inside_the_widened_patch():
    boxes = torch.tensor([[0., 0., 10., 20.]])
    masks = box_masks((100, 100), boxes + 20, size=(4, 4), expand_ratio=2.0)
    expected = torch.zeros(4, 4)
    expected[1:3, 1:3] = 1
    assert torch.equal(masks[0, 0], expected)
    assert box_masks((100, 100), boxes[:0], (4, 4)).shape == (0, 1, 4, 4)


def test_streams_f_o_b_split_the_raw_patch():
    patches = torch.rand(2, 3, 4, 2) * 255
    masks = (torch.rand(2, 1, 4, 2) > 0.5).float()
    fg, orig, bg = separate_foreground(patches, masks, ('F', 'O', 'B'))
    assert torch.equal(orig, patches)
    assert torch.allclose(fg + bg, patches)
    assert torch.equal(fg[masks.expand_as(fg) == 0],
                       torch.zeros_like(fg[masks.expand_as(fg) == 0]))
    assert separate_foreground(patches, None, ('O', ))[0] is patches


def test_bad_instance_map_shape():
    with pytest.raises(ValueError, match='one \\(H, W\\) label map'):
        instance_masks(torch.zeros(1, 4, 4, dtype=torch.int32), torch.zeros(1, 4))


def test_paint_instance_map_ranks_by_score_and_drops_low_scores():
    masks = torch.zeros(3, 4, 4, dtype=torch.bool)
    masks[0, :, :2] = True  # score 0.9, overlaps mask 1 in column 1
    masks[1, :, 1:3] = True  # score 0.6
    masks[2, :, 3] = True  # score 0.3: dropped
    label_map = paint_instance_map(masks, torch.tensor([0.9, 0.6, 0.3]), 0.5)
    assert label_map.dtype == torch.int32
    expected = torch.tensor([[2, 2, 1, 0]] * 4, dtype=torch.int32)
    assert torch.equal(label_map, expected)
    empty = paint_instance_map(masks[:0], torch.zeros(0))
    assert torch.equal(empty, torch.zeros(4, 4, dtype=torch.int32))
