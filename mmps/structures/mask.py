"""Mask operations in NumPy and OpenCV (no torch, mmcv or mmdet import)."""
from typing import List

import cv2
import numpy as np


def mask_to_polygons(mask: np.ndarray) -> List[List[float]]:
    """COCO polygons of a binary mask: one ``[x1, y1, x2, y2, ...]`` list
    per outer contour (holes are filled), contours of fewer than 3 points
    dropped.

    Args:
        mask (np.ndarray): (H, W) mask, nonzero = foreground.

    Returns:
        list[list[float]]: The polygons, in pixel coordinates; empty for an
        empty mask.

    Example:
        >>> mask = np.zeros((6, 8), bool)
        >>> mask[1:4, 2:6] = True
        >>> mask_to_polygons(mask)
        [[2.0, 1.0, 2.0, 3.0, 5.0, 3.0, 5.0, 1.0]]
    """
    contours, _ = cv2.findContours((np.asarray(mask) != 0).astype(np.uint8),
                                   cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return [
        contour.reshape(-1).astype(float).tolist() for contour in contours
        if len(contour) >= 3
    ]
