"""BottomUpFusion (BUFF Fig. 3): per-level RoI features, T_l blocks and
element-wise max, bottom up."""
import torch

from mmps.models import BottomUpFusion


def tiny_fusion(in_indices=(0, 1, 2)):
    return BottomUpFusion(
        in_indices=in_indices,
        in_channels=(8, 16, 32),
        featmap_strides=(2, 4, 8),
        out_size=(4, 2),
        transform_strides=(1, 2),
        depth=18).eval()


def test_roi_sizes_grow_with_the_transform_strides():
    fusion = tiny_fusion()
    assert fusion.roi_sizes == [(8, 4), (8, 4), (4, 2)]
    assert fusion.out_channels == 32


def test_forward_is_max_of_the_transformed_levels():
    torch.manual_seed(0)
    fusion = tiny_fusion()
    x = [torch.rand(1, 8, 32, 48), torch.rand(1, 16, 16, 24), torch.rand(1, 32, 8, 12)]
    rois = torch.tensor([[0., 4., 4., 36., 60.], [0., 50., 2., 80., 58.]])
    with torch.no_grad():
        feats = fusion.pool(x, rois)
        assert [tuple(f.shape) for f in feats] == [(2, 8, 8, 4), (2, 16, 8, 4),
                                                   (2, 32, 4, 2)]
        step1 = torch.max(fusion.transform(1)(feats[0]), feats[1])
        expected = torch.max(fusion.transform(2)(step1), feats[2])
        assert torch.equal(fusion(x, rois), expected)


def test_levels_below_the_first_read_are_skipped():
    torch.manual_seed(0)
    fusion = tiny_fusion(in_indices=(1, 2))
    assert not hasattr(fusion, 'layer1')
    x = [torch.rand(1, 8, 32, 48), torch.rand(1, 16, 16, 24), torch.rand(1, 32, 8, 12)]
    rois = torch.tensor([[0., 4., 4., 36., 60.]])
    with torch.no_grad():
        feats = fusion.pool(x, rois)
        expected = torch.max(fusion.transform(2)(feats[0]), feats[1])
        assert torch.equal(fusion(x, rois), expected)
