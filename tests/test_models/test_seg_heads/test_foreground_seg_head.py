"""The foreground segmentation head of BUFF (Eq. 1): box masks as
targets, mean binary cross-entropy."""
import math

import pytest
import torch
from mmengine.structures import InstanceData

from mmps.models import ForegroundSegHead


def test_box_masks_sample_the_box_mask_at_cell_centres():
    head = ForegroundSegHead(in_channels=4, featmap_stride=8)
    gt = InstanceData(bboxes=torch.tensor([[0., 0., 12., 20.], [20., 4., 31., 13.]]))
    empty = InstanceData(bboxes=torch.zeros(0, 4))
    masks = head.box_masks([gt, empty], (3, 4))
    # cell centres at 4, 12, 20 (rows) and 4, 12, 20, 28 (columns)
    expected = torch.tensor([[1., 0., 1., 1.], [1., 0., 1., 1.], [0., 0., 0., 0.]])
    assert masks.shape == (2, 1, 3, 4)
    assert torch.equal(masks[0, 0], expected)
    assert masks[1].sum() == 0


def test_seg_loss_is_the_mean_bce_against_box_masks():
    head = ForegroundSegHead(in_channels=4, featmap_stride=8)
    gt = InstanceData(bboxes=torch.tensor([[0., 0., 8., 16.]]))
    logits = torch.tensor([[[[2.0, -1.0], [0.0, 0.5]]]])
    # targets: cell centres (4, 4) and (4, 12) are inside, column 12 is not
    targets = [[1, 0], [1, 0]]
    terms = []
    for row in range(2):
        for col in range(2):
            p = 1 / (1 + math.exp(-logits[0, 0, row, col].item()))
            y = targets[row][col]
            terms.append(-(y * math.log(p) + (1 - y) * math.log(1 - p)))
    loss = head.loss(logits, [gt])['loss_seg']
    assert loss.item() == pytest.approx(sum(terms) / 4, rel=1e-6)
