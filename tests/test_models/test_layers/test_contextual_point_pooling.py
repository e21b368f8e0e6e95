"""CPP (PCNet Eq. 5) and L_dist (Eq. 6) against hand computations."""
import math
import sys

import pytest
import torch

from mmps.models.layers import ContextualPointPooling, point_distribution_loss
from mmps.utils.check_env import MMCVInstallError


def _fixed_cpp(num_levels=1, num_anchors=1, channels=2, tap=(1, 1)):
    """A CPP whose offsets are its output bias and whose deformable convs copy
    every channel from one kernel tap (row, col) of the 3x3 kernel."""
    cpp = ContextualPointPooling(
        in_channels=channels,
        num_levels=num_levels,
        num_anchors=num_anchors,
        offset_channels=4)
    with torch.no_grad():
        cpp.offset_out.weight.zero_()
        cpp.offset_out.bias.zero_()
        for conv in cpp.deform_convs:
            conv.weight.zero_()
            for c in range(channels):
                conv.weight[c, c, tap[0], tap[1]] = 1
    return cpp


def _map(channels=2, height=5, width=5):
    return torch.arange(
        channels * height * width, dtype=torch.float32).view(1, channels, height,
                                                             width) + 1


def test_centre_point_offsets_are_dy_then_dx_per_level_scale():
    cpp = _fixed_cpp(num_levels=2)
    with torch.no_grad():
        cpp.offset_out.bias[2 * 4] = 1.  # dy of point 4 (the centre)
        cpp.scales[1].scale.fill_(2.)
    x0, x1 = _map(), _map(height=6, width=4)
    (f0, f1), (o0, o1) = cpp([x0, x1])
    # level 0: one row down, zero below the map
    assert torch.equal(f0[..., :-1, :], x0[..., 1:, :])
    assert torch.equal(f0[..., -1, :], torch.zeros(1, 2, 5))
    # level 1: its Scale doubles the offsets, two rows down
    assert torch.equal(f1[..., :-2, :], x1[..., 2:, :])
    assert torch.equal(f1[..., -2:, :], torch.zeros(1, 2, 2, 4))
    expected = torch.zeros(1, 18, 6, 4)
    expected[:, 8] = 2.
    assert o1.shape == (1, 18, 6, 4) and torch.equal(o1, expected)
    assert o0.shape == (1, 18, 5, 5)

    with torch.no_grad():
        cpp.offset_out.bias.zero_()
        cpp.offset_out.bias[2 * 4 + 1] = -1.  # dx of the centre: one column left
    (f0, _), _ = cpp([x0, x1])
    assert torch.equal(f0[..., 1:], x0[..., :-1])
    assert torch.equal(f0[..., 0], torch.zeros(1, 2, 5))

    with torch.no_grad():
        cpp.offset_out.bias.zero_()
        cpp.offset_out.bias[2 * 4] = 0.5  # between two rows: bilinear mean
    (f0, _), _ = cpp([x0, x1])
    assert torch.allclose(f0[..., :-1, :], (x0[..., :-1, :] + x0[..., 1:, :]) / 2)


def test_points_are_row_major_over_the_kernel():
    # tap (0, 2) is point 2: kernel position (dy, dx) = (-1, +1)
    cpp = _fixed_cpp(tap=(0, 2))
    x = _map()
    (feat, ), _ = cpp([x])
    assert torch.equal(feat[..., 1:, :-1], x[..., :-1, 1:])
    # offsets (dy, dx) = (1, -1) of point 2 bring it back to the centre
    with torch.no_grad():
        cpp.offset_out.bias[2 * 2] = 1.
        cpp.offset_out.bias[2 * 2 + 1] = -1.
    (feat, ), _ = cpp([x])
    assert torch.equal(feat, x)
    # the same offsets on another point (point 6) change nothing
    with torch.no_grad():
        cpp.offset_out.bias.zero_()
        cpp.offset_out.bias[2 * 6:2 * 6 + 2] = torch.tensor([1., -1.])
    (moved, ), _ = cpp([x])
    assert torch.equal(moved[..., 1:, :-1], x[..., :-1, 1:])


def test_anchors_have_their_own_offsets_and_maps():
    cpp = _fixed_cpp(num_anchors=2)
    with torch.no_grad():
        cpp.offset_out.bias[2 * 4] = 1.  # anchor 0: centre dy
        cpp.offset_out.bias[18 + 2 * 4 + 1] = 1.  # anchor 1: centre dx
    x = _map()
    (feat, ), (offset, ) = cpp([x])
    assert feat.shape == (1, 4, 5, 5) and offset.shape == (1, 36, 5, 5)
    assert torch.equal(feat[:, :2, :-1], x[..., 1:, :])  # rows shifted
    assert torch.equal(feat[:, 2:, :, :-1], x[..., 1:])  # columns shifted


def test_offset_branch_learns_and_is_initialised():
    cpp = ContextualPointPooling(in_channels=4, num_levels=2, offset_channels=8)
    cpp.init_weights()
    first = cpp.offset_conv[0]
    assert abs(first.weight.std().item() - 0.01) < 0.005
    assert not first.bias.any() and not cpp.offset_out.bias.any()
    bound = math.sqrt(3 / (8 * 9))  # Kaiming uniform, a=1, fan_in
    assert cpp.offset_out.weight.abs().max() <= bound
    assert cpp.offset_out.weight.std() > 0.5 * bound / math.sqrt(3)
    feats, _ = cpp([torch.rand(2, 4, 6, 5), torch.rand(2, 4, 3, 3)])
    sum(f.sum() for f in feats).backward()
    assert cpp.offset_out.weight.grad.abs().sum() > 0
    assert all(s.scale.grad is not None for s in cpp.scales)


def test_parameter_hand_count():
    """Issue 12 "Figures": the CPP part of the light head's 3,863,713."""
    cpp = ContextualPointPooling()  # C=256, 5 levels, K=9, A=1, 256-d branch
    offset_conv = 256 * 256 * 9 + 256  # 590,080
    offset_out = 256 * 18 * 9 + 18  # 41,490
    scales = 5
    deform_convs = 5 * 256 * 256 * 9  # 2,949,120, no bias
    assert sum(p.numel()
               for p in cpp.parameters()) == (offset_conv + offset_out + scales +
                                              deform_convs) == 3_580_695
    # a 64-d branch (PCNetPS light) saves 473,664
    light = ContextualPointPooling(offset_channels=64)
    saved = sum(p.numel() for p in cpp.parameters()) - sum(p.numel()
                                                           for p in light.parameters())
    assert saved == 473_664


@pytest.mark.parametrize('num_points', [8, 4, 0])
def test_num_points_must_be_an_odd_square(num_points):
    with pytest.raises(ValueError, match='must be the square of an odd number'):
        ContextualPointPooling(in_channels=2, num_points=num_points)


def test_levels_must_match():
    cpp = ContextualPointPooling(in_channels=2, num_levels=2, offset_channels=2)
    with pytest.raises(ValueError, match='set num_levels'):
        cpp([torch.rand(1, 2, 4, 4)])


def test_mmcv_without_deform_conv(monkeypatch):
    monkeypatch.setitem(sys.modules, 'mmcv.ops', None)
    with pytest.raises(MMCVInstallError, match='bash tools/setup_env.sh') as error:
        ContextualPointPooling(in_channels=2)
    assert '\n' not in str(error.value)


def test_point_distribution_loss_by_hand():
    offsets = torch.zeros(2, 18)
    # positive 0, stride 4: row 0 dy = 0, 1, 2 -> y = -4, 0, 4 (mean 0); row 1
    # dy = 0 -> mean 0; row 2 dy = 3 -> y = 16. m = (0, 0, 16); h* = 30:
    # ((0 - 10)^2 + (16 - 10)^2) / 30 = 136 / 30
    offsets[0, 0:6:2] = torch.tensor([0., 1., 2.])
    offsets[0, 12::2] = 3.
    offsets[0, 1::2] = torch.randn(9)  # dx plays no part
    # positive 1, stride 8, no offset: m = (-8, 0, 8) and h* / 3 = 8 -> 0
    offsets.requires_grad_()
    loss = point_distribution_loss(offsets, torch.tensor([4., 8.]),
                                   torch.tensor([30., 24.]))
    assert torch.allclose(loss, torch.tensor(136 / 30 / 2))
    loss.backward()
    assert not offsets.grad[:, 1::2].any()  # no gradient to dx
    assert offsets.grad[0, 0::2].any() and not offsets.grad[1].any()


def test_point_distribution_loss_sets_with_remainder():
    zeros = torch.zeros(1, 18)
    # kernel rows of the 9 points: -1 -1 -1 0 0 0 1 1 1 (stride 1)
    # M=2: sets of 4 and 5 points, m = (-3/4, 3/5); h* = 2: (1.35 - 1)^2 / 2
    loss = point_distribution_loss(zeros, torch.ones(1), torch.tensor([2.]), num_sets=2)
    assert torch.allclose(loss, torch.tensor(0.35**2 / 2))
    # M=4: sets of 2, 2, 2 and 3 points, m = (-1, -1/2, 0, 1); h* = 4:
    # ((0.5 - 1)^2 + (0.5 - 1)^2 + (1 - 1)^2) / 4
    loss = point_distribution_loss(zeros, torch.ones(1), torch.tensor([4.]), num_sets=4)
    assert torch.allclose(loss, torch.tensor(0.125))


def test_point_distribution_loss_without_positives():
    offsets = torch.zeros(0, 18, requires_grad=True)
    loss = point_distribution_loss(offsets, torch.zeros(0), torch.zeros(0))
    assert loss.item() == 0 and loss.requires_grad
    loss.backward()
    assert offsets.grad.shape == (0, 18)


def test_point_distribution_loss_errors():
    with pytest.raises(ValueError, match=r'num_sets=10 must lie in \[1, K=9\]'):
        point_distribution_loss(torch.zeros(1, 18), torch.ones(1), torch.ones(1), 10)
    with pytest.raises(ValueError, match='square number K of points'):
        point_distribution_loss(torch.zeros(1, 16), torch.ones(1), torch.ones(1))


def test_batches_over_mmcv_im2col_step():
    # 33 = 3 images x 11 anchors is over mmcv's im2col_step (32) and not a
    # multiple of it: CPP runs the deformable conv in chunks
    cpp = ContextualPointPooling(
        in_channels=2, num_levels=1, num_anchors=11, offset_channels=2)
    x = torch.rand(3, 2, 3, 3)
    (feat, ), _ = cpp([x])
    assert feat.shape == (3, 22, 3, 3)
    (single, ), _ = cpp([x[2:]])
    assert torch.allclose(feat[2:], single, atol=1e-6)
