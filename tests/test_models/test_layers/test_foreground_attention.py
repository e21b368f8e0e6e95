"""FAM (BUFF Eq. 2): X + X * a, with the map resized to the features."""
import torch

from mmps.models.layers import foreground_attention


def test_fam_on_a_hand_made_tensor():
    feats = torch.tensor([[[[1., 2.], [3., 4.]], [[-1., 0.], [5., -2.]]]])
    prob = torch.tensor([[[[0., 0.5], [1., 0.25]]]])
    expected = torch.tensor([[[[1., 3.], [6., 5.]], [[-1., 0.], [10., -2.5]]]])
    assert torch.equal(foreground_attention(feats, prob), expected)
    # a map of another size is resized: a constant map stays constant
    small = torch.full((1, 1, 1, 1), 0.5)
    assert torch.allclose(foreground_attention(feats, small), feats * 1.5)
