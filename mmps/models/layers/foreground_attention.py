"""Foreground attention module (FAM) of BUFF."""
import torch.nn.functional as F
from torch import Tensor


def foreground_attention(feats: Tensor, fg_prob: Tensor) -> Tensor:
    """Emphasise the foreground of a feature map in a residual way:
    ``X_hat = X + X * a`` (Eq. 2 of BUFF, Yang et al., ACM MM 2020).

    Args:
        feats (Tensor): Feature map X, shape (B, C, H, W).
        fg_prob (Tensor): Foreground probability map a, shape
            (B, 1, h, w); resized bilinearly to (H, W) when (h, w) differs.

    Returns:
        Tensor: Foreground-aware feature map, shape (B, C, H, W).
    """
    if fg_prob.shape[-2:] != feats.shape[-2:]:
        fg_prob = F.interpolate(
            fg_prob, size=feats.shape[-2:], mode='bilinear', align_corners=False)
    return feats + feats * fg_prob
