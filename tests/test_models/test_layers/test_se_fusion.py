"""SEFusion (MGTS Eq. 1): concat F then O, SE re-weighting."""
import pytest
import torch

from mmps.models.layers import SEFusion


def test_fusion_is_eq_1_on_the_concatenation_f_then_o():
    torch.manual_seed(0)
    fusion = SEFusion(channels=32, ratio=4)
    fg, orig = torch.rand(2, 32, 4, 2), torch.rand(2, 32, 4, 2)
    feats = torch.cat([fg, orig], dim=1)
    se = fusion.se
    squeezed = torch.relu(se.conv1.conv(feats.mean(dim=(2, 3), keepdim=True)))
    weights = torch.sigmoid(se.conv2.conv(squeezed))
    assert torch.allclose(fusion(fg, orig), feats * weights, atol=1e-6)
    assert torch.allclose(
        fusion.channel_weights(fg, orig), weights.flatten(1), atol=1e-6)
    # the first half of the output is the foreground stream
    assert torch.allclose(fusion(fg, orig)[:, :32], fg * weights[:, :32], atol=1e-6)


def test_parameter_count_of_the_full_size_block():
    # 4096 -> 256 -> 4096 1x1 convolutions with biases (ratio 16)
    assert sum(p.numel() for p in SEFusion(2048).parameters()) == 2_101_504


def test_mismatched_streams_are_refused():
    fusion = SEFusion(channels=8, ratio=2)
    with pytest.raises(ValueError, match=r'needs two \(N, 8, h, w\) maps'):
        fusion(torch.rand(1, 8, 2, 2), torch.rand(1, 4, 2, 2))
