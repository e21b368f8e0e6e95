"""ReIDEmbeddingHead: GAP, optional projection, L2 normalisation, loss."""
import torch
import torch.nn.functional as F

from mmps.models import ReIDEmbeddingHead

OIM = dict(type='OIMLoss', num_features=4, num_person_ids=3, queue_size=2)


def test_embedding_is_the_normalised_projection_of_the_pooled_map():
    torch.manual_seed(0)
    head = ReIDEmbeddingHead(in_channels=6, embed_dim=4, loss_reid=OIM)
    head.init_weights()
    feats = torch.rand(5, 6, 3, 2)
    expected = F.normalize(head.fc(feats.mean(dim=(2, 3))), dim=1)
    assert torch.allclose(head(feats), expected, atol=1e-6)
    assert head.embed_dim == 4


def test_no_projection_keeps_the_channels():
    head = ReIDEmbeddingHead(in_channels=6, embed_dim=None, loss_reid=None)
    feats = torch.rand(2, 6, 3, 2)
    assert head.embed_dim == 6 and head.fc is None
    assert torch.allclose(head(feats), F.normalize(feats.mean(dim=(2, 3)), dim=1))


def test_loss_is_named_by_the_loss_module():
    head = ReIDEmbeddingHead(in_channels=6, embed_dim=4, loss_reid=OIM)
    losses = head.loss(torch.rand(3, 6, 2, 2), torch.tensor([0, 2, -1]))
    assert list(losses) == ['loss_oim']
    assert torch.isfinite(losses['loss_oim'])


def test_projection_without_bias_is_linear():
    head = ReIDEmbeddingHead(in_channels=16, embed_dim=4, bias=False)
    head.init_weights()
    assert head.fc.bias is None
    assert sum(p.numel() for p in head.parameters()) == 16 * 4
    feats = torch.rand(2, 16, 3, 3)
    # no bias: scaling the features leaves the embedding unchanged
    assert torch.allclose(head(feats), head(feats * 3), atol=1e-6)
    assert ReIDEmbeddingHead(16, 4).fc.bias is not None
