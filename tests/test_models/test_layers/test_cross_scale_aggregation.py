"""CSA (PCNet Eq. 7-10): candidate mask, weights and a hand-computed case."""
import math

import pytest
import torch
from mmdet.models.task_modules.prior_generators import MlvlPointGenerator

from mmps.models.layers import CrossScaleAggregation, points_inside_boxes


def _identity_csa(channels=2, num_levels=2):
    """phi and psi the identity: kappa_i = (s_l f_i) . f'."""
    csa = CrossScaleAggregation(channels=channels, num_levels=num_levels)
    with torch.no_grad():
        for fc in (csa.phi, csa.psi):
            fc.weight.copy_(torch.eye(channels))
            fc.bias.zero_()
    return csa


def _points(sizes, strides):
    return MlvlPointGenerator(strides, offset=0.5).grid_priors(sizes, device='cpu')


def test_points_strictly_inside_boxes():
    points = torch.tensor([[2., 2.], [6., 2.], [2., 6.], [6., 6.], [4., 4.]])
    boxes = torch.tensor([[0., 0., 5., 5.], [2., 2., 6., 6.], [1., 1., 7., 3.]])
    expected = torch.tensor([[1, 0, 0, 0, 1], [0, 0, 0, 0, 1], [1, 1, 0, 0, 0]],
                            dtype=torch.bool)
    assert torch.equal(points_inside_boxes(points, boxes), expected)  # edges out
    assert points_inside_boxes(points, boxes[:0]).shape == (0, 5)


def test_hand_computed_case_with_level_scales():
    csa = _identity_csa()
    with torch.no_grad():
        csa.level_scales.copy_(torch.tensor([1., 2.]))
    # level 0, stride 4: centres (2, 2) (6, 2) (2, 6) (6, 6); level 1, stride
    # 8: centre (4, 4). The box (0, 0, 5, 5) holds cell (2, 2) of level 0,
    # f_a = (1, 0), and the level-1 cell, f_b = (0, 1).
    level0 = torch.zeros(1, 2, 2, 2)
    level0[0, :, 0, 0] = torch.tensor([1., 0.])
    level0[0, :, 1, 1] = torch.tensor([5., 5.])  # (6, 6): outside the box
    level1 = torch.tensor([0., 1.]).view(1, 2, 1, 1)
    anchor = torch.tensor([[1., 1.]])
    out = csa(anchor, torch.tensor([[0., 0., 5., 5.]]), torch.tensor([0]),
              [level0, level1], _points([(2, 2), (1, 1)], [4, 8]))
    # kappa_a = (1, 0) . (1, 1) = 1; kappa_b = (0, 2) . (1, 1) = 2: s_l scales
    # the key only, the sum uses f_b itself
    w_a, w_b = 1 / (1 + math.e), math.e / (1 + math.e)
    assert torch.allclose(out, torch.tensor([[1 + w_a, 1 + w_b]]))


def test_weights_sum_to_one_and_empty_omega_keeps_anchor_feature():
    torch.manual_seed(0)
    csa = CrossScaleAggregation(channels=4, num_levels=3)
    with torch.no_grad():
        csa.level_scales.copy_(torch.tensor([0.5, 1., 3.]))
    sizes, strides = [(8, 8), (4, 4), (2, 2)], [4, 8, 16]
    value = torch.randn(4)
    # every cell of image 0 holds `value`: whatever the weights, their sum
    # times `value` must come back
    feats = [value.view(1, 4, 1, 1).repeat(2, 1, h, w) for h, w in sizes]
    for feat in feats:
        feat[1] = torch.randn_like(feat[1])
    anchors = torch.randn(4, 4)
    boxes = torch.tensor([
        [1., 3., 30., 29.],  # image 0, cells of all levels
        [10.5, 10.5, 11.5, 11.5],  # image 1, between the centres: empty
        [3., 3., 13., 13.],  # image 0, level-0 and level-1 cells
        [4.5, 4.5, 5.5, 5.5],  # image 0, empty
    ])
    img_inds = torch.tensor([0, 1, 0, 0])
    out = csa(anchors, boxes, img_inds, feats, _points(sizes, strides))
    assert torch.allclose(out[[0, 2]], anchors[[0, 2]] + value, atol=1e-6)
    assert torch.equal(out[[1, 3]], anchors[[1, 3]])


def test_logits_are_clamped():
    csa = _identity_csa(num_levels=1)
    with torch.no_grad():
        csa.psi.weight.mul_(1000.)
    # two cells, f = (1, 0) and (2, 0): logits 1000 and 2000 both clamp to 50
    feats = [torch.tensor([[1., 2.], [0., 0.]]).view(1, 2, 1, 2)]
    anchor = torch.tensor([[1., 0.]], requires_grad=True)
    out = csa(anchor, torch.tensor([[0., 0., 16., 8.]]), torch.tensor([0]), feats,
              _points([(1, 2)], [8]))
    assert torch.allclose(out, torch.tensor([[2.5, 0.]]))  # equal weights
    csa.logit_clamp = 5000.
    out = csa(anchor, torch.tensor([[0., 0., 16., 8.]]), torch.tensor([0]), feats,
              _points([(1, 2)], [8]))
    assert torch.allclose(out, torch.tensor([[3., 0.]]))  # the larger one wins


def _reference(csa, anchors, boxes, img_inds, feats, points):
    """CSA written box by box (Eq. 8-10), with a hand-rolled softmax."""
    out = []
    for anchor, box, img in zip(anchors, boxes, img_inds):
        cand, keys = [], []
        for level, (feat, pts) in enumerate(zip(feats, points)):
            flat = feat[img].flatten(1).t()
            for f, (x, y) in zip(flat, pts.tolist()):
                if box[0] < x < box[2] and box[1] < y < box[3]:
                    cand.append(f)
                    keys.append(csa.phi(csa.level_scales[level] * f))
        if not cand:
            out.append(anchor)
            continue
        logits = torch.stack(keys) @ csa.psi(anchor)
        weights = logits.exp() / logits.exp().sum()
        out.append(anchor + (weights[:, None] * torch.stack(cand)).sum(0))
    return torch.stack(out)


def test_matches_a_box_by_box_reference_and_backpropagates():
    torch.manual_seed(1)
    csa = CrossScaleAggregation(channels=3, num_levels=2)
    with torch.no_grad():
        csa.level_scales.copy_(torch.tensor([0.7, 1.3]))
    sizes, strides = [(4, 6), (2, 3)], [8, 16]
    feats = [torch.randn(2, 3, h, w, requires_grad=True) for h, w in sizes]
    anchors = torch.randn(5, 3, requires_grad=True)
    boxes = torch.tensor([[0., 0., 20., 30.], [10., 5., 47., 31.], [1., 1., 3., 3.],
                          [8., 8., 40., 24.], [0., 0., 48., 32.]])
    img_inds = torch.tensor([1, 0, 0, 1, 0])
    points = _points(sizes, strides)
    out = csa(anchors, boxes, img_inds, feats, points)
    with torch.no_grad():
        expected = _reference(csa, anchors, boxes, img_inds, feats, points)
    assert torch.allclose(out, expected, atol=1e-5)
    out.sum().backward()
    assert csa.level_scales.grad.abs().sum() > 0
    assert all(torch.isfinite(f.grad).all() for f in feats)
    assert torch.isfinite(anchors.grad).all()


@pytest.mark.parametrize(
    'boxes',
    [
        torch.tensor([[4.5, 4.5, 5.5, 5.5], [0.5, 0.5, 1.5, 1.5]]),  # no centre inside
        torch.zeros(0, 4),  # no box
    ])
def test_empty_omega_everywhere_still_gives_every_parameter_a_zero_grad(boxes):
    """f = f' exactly, and phi, psi and every s_l get a (zero) gradient: DDP
    without find_unused_parameters needs every parameter in the graph."""
    torch.manual_seed(0)
    csa = CrossScaleAggregation(channels=2, num_levels=2)
    feats = [torch.rand(1, 2, 2, 2), torch.rand(1, 2, 1, 1)]
    anchors = torch.randn(len(boxes), 2, requires_grad=True)
    img_inds = torch.zeros(len(boxes), dtype=torch.long)
    out = csa(anchors, boxes, img_inds, feats, _points([(2, 2), (1, 1)], [4, 8]))
    assert torch.equal(out, anchors)
    out.sum().backward()
    for name, param in csa.named_parameters():
        assert param.grad is not None, name
        assert not param.grad.any(), name
    assert torch.equal(anchors.grad, torch.ones_like(anchors))


def test_no_boxes_and_level_mismatch():
    csa = CrossScaleAggregation(channels=2, num_levels=2)
    feats = [torch.rand(1, 2, 2, 2), torch.rand(1, 2, 1, 1)]
    points = _points([(2, 2), (1, 1)], [4, 8])
    out = csa(
        torch.zeros(0, 2), torch.zeros(0, 4), torch.zeros(0, dtype=torch.long), feats,
        points)
    assert out.shape == (0, 2)
    with pytest.raises(ValueError, match='pass one of each per level'):
        csa(
            torch.zeros(1, 2), torch.zeros(1, 4), torch.zeros(1, dtype=torch.long),
            feats[:1], points[:1])


def test_parameter_hand_count():
    """Issue 12 "Figures": the CSA part of the light head's 3,863,713."""
    csa = CrossScaleAggregation()  # C=256, 5 levels
    phi = psi = 256 * 256 + 256  # 65,792 each
    assert sum(p.numel() for p in csa.parameters()) == phi + psi + 5 == 131_589
