"""mask_to_polygons: outer contours of a binary mask as COCO polygons."""
import numpy as np
import pycocotools.mask as mask_utils

from mmps.structures import mask_to_polygons


def test_polygons_redraw_the_mask_with_holes_filled():
    mask = np.zeros((20, 30), np.uint8)
    mask[2:12, 3:9] = 255  # any nonzero value is foreground
    mask[5:8, 5:7] = 0  # a hole: filled by the outer contour
    mask[14:18, 20:28] = 1
    polys = mask_to_polygons(mask)
    assert len(polys) == 2 and all(len(p) >= 6 and len(p) % 2 == 0 for p in polys)
    rles = mask_utils.frPyObjects(polys, 20, 30)
    redrawn = mask_utils.decode(mask_utils.merge(rles))
    filled = mask != 0
    filled[5:8, 5:7] = True
    # COCO rasterisation of contour polygons loses at most the last row
    # and column of each part
    assert np.logical_and(redrawn, ~filled).sum() == 0
    assert (filled & ~redrawn.astype(bool)).sum() <= 10 + 6 + 4 + 8


def test_empty_and_tiny_masks_give_no_polygon():
    assert mask_to_polygons(np.zeros((5, 5), bool)) == []
    one = np.zeros((5, 5), bool)
    one[2, 2] = True  # a single pixel: a 1-point contour
    assert mask_to_polygons(one) == []
