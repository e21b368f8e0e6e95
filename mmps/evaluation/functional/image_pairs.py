"""Pairs of items that lie in the same image, for per-pair box tests."""
from typing import Tuple

import numpy as np


def expand_image_pairs(img_a: np.ndarray, img_b_start: np.ndarray,
                       img_b_count: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """All pairs (a, b) of items that share an image.

    Items ``b`` must be sorted by image so that image ``i`` holds the
    contiguous range ``img_b_start[i] : img_b_start[i] + img_b_count[i]``.

    Args:
        img_a (np.ndarray): (A,) image index of each item ``a``.
        img_b_start (np.ndarray): (I,) first ``b`` index of each image.
        img_b_count (np.ndarray): (I,) number of ``b`` items per image.

    Returns:
        tuple[np.ndarray, np.ndarray]: (P,) ``a`` indices (ascending) and
        (P,) ``b`` indices of the pairs.
    """
    counts = img_b_count[img_a]
    pair_a = np.repeat(np.arange(len(img_a)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    pair_b = np.repeat(img_b_start[img_a], counts) + offsets
    return pair_a, pair_b
