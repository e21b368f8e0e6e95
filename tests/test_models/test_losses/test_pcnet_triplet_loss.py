"""PCNet triplet loss (Eq. 11) against a hand computation."""
import torch
from mmdet.registry import MODELS

from mmps.models.losses import PCNetTripletLoss


def test_hand_computation():
    # f (after CSA) and f' (anchor point) of four samples; the last one is
    # unlabelled: its f' = (1, 0) would be the hardest negative of sample 0
    # if it counted.
    f = torch.tensor([[1., 0.], [0., 1.], [1., 0.], [0., 1.]], requires_grad=True)
    f_anchor = torch.tensor([[.6, .8], [.8, .6], [0., 1.], [1., 0.]],
                            requires_grad=True)
    ids = torch.tensor([0, 1, 0, -1])
    loss = PCNetTripletLoss()(f, f_anchor, ids)
    # sample 0: ||f - f'||^2 = 0.8; negatives (id 1): f'_1 at 0.4 -> 0.9
    # sample 1: 0.8; negatives (id 0): f'_0 at 0.4, f'_2 at 0 -> 1.3
    # sample 2: 2.0; negatives (id 1): f'_1 at 0.4 -> 2.1
    assert torch.allclose(loss, torch.tensor((0.9 + 1.3 + 2.1) / 3))
    loss.backward()
    assert not f.grad[3].any()  # unlabelled: no anchor
    assert not f_anchor.grad[3].any()  # ... and no negative
    assert f.grad[:3].any(dim=1).all()


def test_margin_hinge_and_weight():
    # f = f' and the two identities orthogonal: 0.5 + 0 - 2 < 0 -> 0
    x = torch.eye(2)
    built = MODELS.build(dict(type='PCNetTripletLoss', margin=0.5, loss_weight=2.))
    assert built(x, x, torch.tensor([3, 7])).item() == 0
    # margin 3: 3 + 0 - 2 = 1 for both, times the weight
    loss = PCNetTripletLoss(margin=3., loss_weight=2.)(x, x, torch.tensor([3, 7]))
    assert torch.allclose(loss, torch.tensor(2.))


def test_no_valid_triplet_gives_zero_tied_to_inputs():
    f = torch.rand(3, 4, requires_grad=True)
    f_anchor = torch.rand(3, 4, requires_grad=True)
    loss_fn = PCNetTripletLoss()
    for ids in (torch.tensor([5, 5, -1]), torch.tensor([-1, -1, -1]),
                torch.zeros(0, dtype=torch.long)):
        n = len(ids)
        loss = loss_fn(f[:n], f_anchor[:n], ids)
        assert loss.item() == 0 and loss.requires_grad
        loss.backward()
        assert not f.grad.any() and not f_anchor.grad.any()
