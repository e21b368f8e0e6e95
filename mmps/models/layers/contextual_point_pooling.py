"""Contextual Points Pooling (CPP) of PCNet and its distance loss.

PCNet (Zhong et al., "Points in Context for Efficient Person Search",
Sec. 3.1) builds the re-ID feature map of each pyramid level by aggregating K
learned points around every position (Eq. 5) and spreads those points
vertically over the person with a distance loss (Eq. 6).
"""
import math
from typing import List, Optional, Sequence, Tuple, Type, Union

import torch
import torch.nn as nn
from mmcv.cnn import Scale
from mmengine.model import BaseModule
from torch import Tensor

from mmps.utils.check_env import MMCVInstallError


def _deform_conv2d_cls() -> Type[nn.Module]:
    """Return ``mmcv.ops.DeformConv2d`` or raise a one-line install error."""
    try:
        from mmcv.ops import DeformConv2d
    except ImportError as error:
        reason = ' '.join(str(error).split())  # keep the message on one line
        raise MMCVInstallError(
            'ContextualPointPooling needs mmcv.ops.DeformConv2d, which this '
            f'mmcv lacks ({reason}): install mmcv with its ops by running '
            '`bash tools/setup_env.sh`.') from error
    return DeformConv2d


def _kernel_size(num_points: int) -> int:
    """Side of the square kernel holding ``num_points`` points."""
    side = math.isqrt(num_points) if num_points > 0 else 0
    if side * side != num_points or side % 2 == 0:
        raise ValueError(f'num_points={num_points} must be the square of an odd number '
                         '(9 = 3x3, 25 = 5x5): the points are the taps of a square '
                         'deformable kernel.')
    return side


class ContextualPointPooling(BaseModule):
    """Contextual Points Pooling: ``F_reid_l(s) = sum_k w_{k,l} P_l(s + o_k)``
    (PCNet Eq. 5).

    One offset branch is shared by all levels: a 3x3 conv (``in_channels`` to
    ``offset_channels``) with ReLU, then a 3x3 conv to ``2 * K * A`` offsets,
    multiplied by a learnable :class:`mmcv.cnn.Scale` of its level. Each level
    has its own ``mmcv.ops.DeformConv2d(C, C, ks, padding=ks // 2, bias=False)``
    (the weights ``w_{k,l}``) and no activation. With ``A > 1`` anchors per
    position every anchor has its own K offsets and its own re-ID map, made
    by the level's deformable conv.

    Offset layout (mmcv's): along the channels, anchor-major, then point ``k``
    in row-major order over the ``ks x ks`` kernel, then ``(dy, dx)`` in feature
    cells; i.e. channel ``a * 2K + 2k`` is ``dy`` and ``a * 2K + 2k + 1`` is
    ``dx`` of point ``k`` of anchor ``a``. Point ``k`` samples ``P_l`` at row
    ``y + k // ks - ks // 2 + dy`` and column ``x + k % ks - ks // 2 + dx``
    (bilinearly, zero outside the map).

    mmdet's heads built on mmcv's ``DeformConv2d`` (e.g. ``RepPointsHead``)
    share one deformable conv over all levels and keep their offsets inside;
    CPP needs a deformable conv per level, per-anchor maps and the offsets
    exposed to the distance loss, hence its own module.

    Args:
        in_channels (int): Channels C of the pyramid maps and of the re-ID
            maps. Defaults to 256.
        num_levels (int): Number of pyramid levels (one deformable conv and
            one Scale each). Defaults to 5 (P3-P7).
        num_points (int): Points K per position, the square of an odd kernel
            side. Defaults to 9.
        num_anchors (int): Anchors A per position. Defaults to 1.
        offset_channels (int): Width of the shared offset branch. Defaults
            to 256.
        init_cfg (dict or list[dict], optional): Initialisation. Defaults to
            normal (std 0.01, bias 0) for the first offset conv and Kaiming
            uniform (a=1, bias 0) for the offset output conv (PCNetPS); the
            deformable convs keep mmcv's default.
    """

    def __init__(self,
                 in_channels: int = 256,
                 num_levels: int = 5,
                 num_points: int = 9,
                 num_anchors: int = 1,
                 offset_channels: int = 256,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if init_cfg is None:
            init_cfg = [
                dict(type='Normal', layer='Conv2d', std=0.01),
                dict(
                    type='Kaiming',
                    a=1,
                    mode='fan_in',
                    nonlinearity='leaky_relu',
                    distribution='uniform',
                    override=dict(name='offset_out'))
            ]
        super().__init__(init_cfg=init_cfg)
        deform_conv2d = _deform_conv2d_cls()
        self.kernel_size = _kernel_size(num_points)
        self.in_channels = in_channels
        self.num_levels = num_levels
        self.num_points = num_points
        self.num_anchors = num_anchors
        self.offset_conv = nn.Sequential(
            nn.Conv2d(in_channels, offset_channels, 3, padding=1),
            nn.ReLU(inplace=True))
        self.offset_out = nn.Conv2d(
            offset_channels, 2 * num_points * num_anchors, 3, padding=1)
        self.scales = nn.ModuleList([Scale(1.0) for _ in range(num_levels)])
        self.deform_convs = nn.ModuleList([
            deform_conv2d(
                in_channels,
                in_channels,
                self.kernel_size,
                padding=self.kernel_size // 2,
                bias=False) for _ in range(num_levels)
        ])

    def forward(self, feats: Sequence[Tensor]) -> Tuple[List[Tensor], List[Tensor]]:
        """Pool the contextual points of every level.

        Args:
            feats (Sequence[Tensor]): Pyramid maps P_l, each (B, C, H_l, W_l).

        Returns:
            tuple[list[Tensor], list[Tensor]]: Per level, the re-ID maps
            F_reid_l, shape (B, A * C, H_l, W_l) (anchor-major channels), and
            the offsets, shape (B, 2 * K * A, H_l, W_l), in feature cells.
        """
        if len(feats) != self.num_levels:
            raise ValueError(
                f'ContextualPointPooling got {len(feats)} feature levels but was '
                f'built with num_levels={self.num_levels}; set num_levels to the '
                'number of pyramid levels.')
        reid_feats, offsets = [], []
        for feat, scale, deform_conv in zip(feats, self.scales, self.deform_convs):
            offset = scale(self.offset_out(self.offset_conv(feat)))
            batch, channels, height, width = feat.shape
            anchors = self.num_anchors
            # every anchor samples the same map with its own offsets
            per_anchor = feat.unsqueeze(1).expand(-1, anchors, -1, -1, -1)
            per_anchor = per_anchor.reshape(batch * anchors, channels, height, width)
            per_anchor_offset = offset.reshape(batch * anchors, -1, height, width)
            # mmcv needs a batch divisible by im2col_step (or under it): chunk
            step = deform_conv.im2col_step
            reid = torch.cat([
                deform_conv(x.contiguous(), o.contiguous())
                for x, o in zip(per_anchor.split(step), per_anchor_offset.split(step))
            ])
            reid_feats.append(reid.reshape(batch, anchors * channels, height, width))
            offsets.append(offset)
        return reid_feats, offsets


def point_distribution_loss(offsets: Tensor,
                            strides: Tensor,
                            gt_heights: Tensor,
                            num_sets: int = 3) -> Tensor:
    """Distance loss L_dist of PCNet (Eq. 6), averaged over positives.

    The K points of a positive anchor, in the row-major order of the kernel,
    are split into M consecutive sets of ``K // M`` points, the last set
    taking the remainder. With ``y_k = (r_k + dy_k) * stride`` the vertical
    position of point k in pixels relative to the anchor's cell (``r_k`` is
    the kernel row of point k, centred on 0; the cell's own position cancels
    in the differences) and ``m_i`` the mean ``y`` of set i,
    ``S = sum_{i=1}^{M-1} ((m_{i+1} - m_i) - h* / M) ** 2 / h*``, where h* is
    the height of the assigned ground-truth box.

    Args:
        offsets (Tensor): Offsets of the positive anchors' points in feature
            cells, shape (P, 2K), ``(dy, dx)`` per point (the layout of
            :class:`ContextualPointPooling` for one anchor).
        strides (Tensor): Stride in pixels of each positive's level, shape
            (P, ).
        gt_heights (Tensor): Height h* in pixels of each positive's assigned
            ground-truth box, shape (P, ).
        num_sets (int): Number of sets M, ``1 <= M <= K``. Defaults to 3.

    Returns:
        Tensor: Scalar mean of S over the P positives; zero, tied to
        ``offsets``, when P is 0.
    """
    num_points = offsets.size(1) // 2
    side = math.isqrt(num_points)
    if side * side != num_points or offsets.size(1) != 2 * num_points:
        raise ValueError(
            f'offsets of shape {tuple(offsets.shape)} must hold (dy, dx) for a '
            'square number K of points (2K columns, K = 9 for a 3x3 kernel).')
    if not 1 <= num_sets <= num_points:
        raise ValueError(
            f'num_sets={num_sets} must lie in [1, K={num_points}]: each of the M '
            'sets needs at least one of the K points.')
    if offsets.size(0) == 0:
        return offsets.sum() * 0
    point_ids = torch.arange(num_points, device=offsets.device)
    kernel_rows = (point_ids // side - (side - 1) / 2).to(offsets.dtype)
    strides = strides.to(offsets.dtype)
    heights = gt_heights.to(offsets.dtype)
    ys = (kernel_rows + offsets[:, 0::2]) * strides[:, None]  # (P, K)
    # consecutive sets of K // M points; the last one takes the remainder
    set_ids = (point_ids // (num_points // num_sets)).clamp(max=num_sets - 1)
    sums = ys.new_zeros(ys.size(0), num_sets).index_add_(1, set_ids, ys)
    counts = torch.bincount(set_ids, minlength=num_sets).to(ys.dtype)
    centres = sums / counts  # (P, M)
    gaps = centres[:, 1:] - centres[:, :-1]
    spread = ((gaps - heights[:, None] / num_sets)**2).sum(dim=1) / heights
    return spread.mean()
