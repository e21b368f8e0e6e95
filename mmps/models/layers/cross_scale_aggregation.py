"""Cross Scale Aggregation (CSA) of PCNet (Sec. 3.2, Eq. 7-10)."""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor


def points_inside_boxes(points: Tensor, boxes: Tensor) -> Tensor:
    """Which points lie strictly inside which boxes.

    Args:
        points (Tensor): Points (x, y), shape (P, 2).
        boxes (Tensor): Boxes (x1, y1, x2, y2) in the points' frame, shape
            (N, 4).

    Returns:
        Tensor: Bool mask of shape (N, P); a point on a box edge is outside.
    """
    x, y = points[:, 0], points[:, 1]
    return ((x[None] > boxes[:, 0:1]) & (x[None] < boxes[:, 2:3])
            & (y[None] > boxes[:, 1:2]) & (y[None] < boxes[:, 3:4]))


class CrossScaleAggregation(BaseModule):
    """Cross Scale Aggregation: ``f = f' + sum_{i in Omega} W_i f_i`` (PCNet
    Eq. 8-10).

    Omega holds the cells of every pyramid level whose centre lies strictly
    inside the person's box; ``f_i`` is the re-ID feature of cell i and
    ``f'`` the re-ID feature at the anchor (Eq. 7). The weights are a softmax
    over Omega of ``kappa_i = phi(s_l * f_i)^T psi(f')``, with ``phi`` and
    ``psi`` fully connected layers and ``s_l`` a learnable scalar of the
    cell's level (PCNetPS); the logits are clamped to
    ``[-logit_clamp, logit_clamp]`` before the softmax. A box holding no
    cell centre gives ``f = f'``; when no box of the batch holds one, an
    exact zero made of every parameter is added, so that they still get a
    (zero) gradient and distributed training needs no
    ``find_unused_parameters``.

    The work is vectorised over the boxes of an image: one masked softmax
    over the cells inside any box of the image serves all its boxes, and
    ``phi`` is folded into the queries, ``phi(s f)^T q = s f^T W^T q +
    b^T q``, so that it never runs on the cells. mmcv/mmdet attention blocks
    attend over a fixed set of tokens; CSA attends over a different,
    box-dependent set of cells per query across levels of different sizes,
    hence its own module.

    Args:
        channels (int): Feature width C. Defaults to 256.
        num_levels (int): Number of pyramid levels (one ``s_l`` each).
            Defaults to 5 (P3-P7).
        logit_clamp (float): Bound on the absolute value of the logits.
            Defaults to 50.0 (PCNetPS).
        init_cfg (dict or list[dict], optional): Initialisation. Defaults to
            None (PyTorch's defaults for the linear layers, ``s_l = 1``).
    """

    def __init__(self,
                 channels: int = 256,
                 num_levels: int = 5,
                 logit_clamp: float = 50.0,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.channels = channels
        self.num_levels = num_levels
        self.logit_clamp = logit_clamp
        self.phi = nn.Linear(channels, channels)
        self.psi = nn.Linear(channels, channels)
        self.level_scales = nn.Parameter(torch.ones(num_levels))

    def _zero_from_parameters(self) -> Tensor:
        """An exact zero that depends on every parameter (phi, psi and
        ``s_l``), shape ()."""
        return sum(param.sum() for param in self.parameters()) * 0

    def forward(self, anchor_feats: Tensor, boxes: Tensor, img_inds: Tensor,
                mlvl_feats: Sequence[Tensor], mlvl_points: Sequence[Tensor]) -> Tensor:
        """Aggregate the cells inside each box into its re-ID feature.

        Args:
            anchor_feats (Tensor): f' of each box, shape (N, C).
            boxes (Tensor): Boxes (x1, y1, x2, y2) in the input frame, shape
                (N, 4).
            img_inds (Tensor): Image of each box in the batch, shape (N, ),
                long.
            mlvl_feats (Sequence[Tensor]): Per level, the per-cell re-ID
                features, shape (B, C, H_l, W_l) (anchors already averaged).
            mlvl_points (Sequence[Tensor]): Per level, the cell centres in
                pixels, shape (H_l * W_l, 2), row-major (mmdet's
                ``MlvlPointGenerator(offset=0.5)``).

        Returns:
            Tensor: The aggregated features f, shape (N, C).
        """
        if not len(mlvl_feats) == len(mlvl_points) == self.num_levels:
            raise ValueError(
                f'CrossScaleAggregation got {len(mlvl_feats)} feature levels and '
                f'{len(mlvl_points)} point levels but was built with '
                f'num_levels={self.num_levels}; pass one of each per level.')
        points = torch.cat(list(mlvl_points), dim=0)  # (P, 2), all levels
        cell_levels = torch.cat([
            torch.full((len(pts), ), level, dtype=torch.long, device=points.device)
            for level, pts in enumerate(mlvl_points)
        ])
        # per image: its boxes, their Omega (n, Q) over the Q cells inside
        # any of its boxes, and those cells' ids
        box_groups, masks, cell_groups, img_groups = [], [], [], []
        for img_id in torch.unique(img_inds).tolist():
            box_ids = torch.nonzero(img_inds == img_id).squeeze(1)
            inside = points_inside_boxes(points, boxes[box_ids])  # (n, P)
            cells = torch.nonzero(inside.any(dim=0)).squeeze(1)
            if cells.numel() > 0:
                box_groups.append(box_ids)
                masks.append(inside[:, cells])
                cell_groups.append(cells)
                img_groups.append(cells.new_full(cells.shape, img_id))
        if not cell_groups:
            return anchor_feats + self._zero_from_parameters()
        # one gather of the features of those cells: (B, P, C) -> (sum Q, C)
        cell_table = torch.cat([feat.flatten(2) for feat in mlvl_feats],
                               dim=2).transpose(1, 2)
        gathered = cell_table[torch.cat(img_groups), torch.cat(cell_groups)]
        feat_groups = gathered.split([len(cells) for cells in cell_groups])
        # phi(s f)^T q = s * f^T (W_phi^T q) + b_phi^T q: project each query
        # once instead of running phi on every cell
        queries = self.psi(anchor_feats)  # (N, C)
        projected = queries @ self.phi.weight  # (N, C)
        shifts = queries @ self.phi.bias  # (N, )
        outputs = anchor_feats
        for box_ids, inside, cells, feats in zip(box_groups, masks, cell_groups,
                                                 feat_groups):
            scales = self.level_scales[cell_levels[cells]]  # (Q, )
            logits = (projected[box_ids] @ feats.t()) * scales + shifts[box_ids, None]
            logits = logits.clamp(-self.logit_clamp, self.logit_clamp)
            # boxes with an empty Omega keep finite logits and get zero weights
            has_cells = inside.any(dim=1, keepdim=True)
            logits = logits.masked_fill(~inside & has_cells, float('-inf'))
            weights = logits.softmax(dim=1).masked_fill(~inside, 0)
            outputs = outputs.index_add(0, box_ids, weights @ feats)
        return outputs
