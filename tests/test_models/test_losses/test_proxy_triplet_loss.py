"""ProxyTripletLoss (RDLR Eq. 5): values by hand, FIFO table, checkpoints,
bad input and multi-process consistency."""
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

from mmps.models.losses import ProxyTripletLoss
from mmps.testing import free_port


def make_loss(**kwargs) -> ProxyTripletLoss:
    cfg = dict(num_features=2, num_person_ids=3, num_proxies=2, margin=0.5)
    cfg.update(kwargs)
    return ProxyTripletLoss(**cfg)


# rows: identity 0, 1, 2; two slots each
TABLE = torch.tensor([[[1., 0.], [0.6, 0.8]], [[0., 1.], [0., 0.]],
                      [[-1., 0.], [0., -1.]]])


def test_eq5_by_hand_on_three_identities():
    loss_fn = make_loss().eval()
    loss_fn.table.copy_(TABLE)
    anchors = torch.tensor([[1., 0.], [0., 1.], [0.6, -0.8]], requires_grad=True)
    loss = loss_fn(anchors, torch.tensor([0, 1, 2]))
    # anchor 0 (id 0): d to row 0: 0, 0.8 -> d_ap 0.8; row 1: 2, 1; row 2: 4, 2
    #   -> d_an 1; hinge 0.5 + 0.8 - 1 = 0.3
    # anchor 1 (id 1): d_ap = max(0, 1) = 1; row 0: 2, 0.4; row 2: 2, 4
    #   -> d_an 0.4; hinge 0.5 + 1 - 0.4 = 1.1
    # anchor 2 (id 2): row 2: 2.56 + 0.64 = 3.2, 0.36 + 0.04 = 0.4 -> 3.2;
    #   row 0: 0.8, 2.56; row 1: 3.6, 1 -> d_an 0.8; 0.5 + 3.2 - 0.8 = 2.9
    assert loss.item() == pytest.approx(0.3 + 1.1 + 2.9, abs=1e-5)
    loss.backward()
    # anchor 0: grad of d_ap (slot (0, 1)) minus grad of d_an (slot (1, 1))
    expected = 2 * (anchors[0] - TABLE[0, 1]) - 2 * (anchors[0] - TABLE[1, 1])
    torch.testing.assert_close(anchors.grad[0], expected.detach())
    # eval mode: the table did not move
    assert torch.equal(loss_fn.table, TABLE)


def test_training_updates_the_table_after_the_loss():
    loss_fn = make_loss().train()
    loss_fn.table.copy_(TABLE)
    anchors = torch.tensor([[1., 0.], [0., 1.], [0.6, -0.8]])
    # the loss of the table before this batch's writes (as in eval mode)
    assert loss_fn(anchors, torch.tensor([0, 1, 2])).item() == pytest.approx(
        4.3, abs=1e-5)
    # then each anchor took its row's oldest slot
    torch.testing.assert_close(loss_fn.table[:, 0], anchors)
    torch.testing.assert_close(loss_fn.table[:, 1], TABLE[:, 1])


def test_batch_negatives_use_only_the_other_anchors_rows():
    loss_fn = make_loss(negatives='batch').eval()
    loss_fn.table.copy_(TABLE)
    anchors = torch.tensor([[1., 0.], [0., 1.]])
    # anchor 0: negatives row 1 only -> d_an 1 (row 2 not in the batch)
    # anchor 1: negatives row 0 only -> d_an 0.4
    loss = loss_fn(anchors, torch.tensor([0, 1]))
    assert loss.item() == pytest.approx(0.3 + 1.1, abs=1e-5)
    # one identity only: no negative row, no loss, still attached
    single = anchors.clone().requires_grad_()
    loss = loss_fn(single, torch.tensor([0, 0]))
    assert loss.item() == 0
    loss.backward()
    assert torch.equal(single.grad, torch.zeros_like(single))


def test_fifo_with_two_slots():
    loss_fn = make_loss()
    feats = F.normalize(torch.randn(5, 2), dim=1)
    loss_fn(feats[:2], torch.tensor([1, 1]))
    assert torch.equal(loss_fn.table[1], feats[:2])
    assert int(loss_fn.ptr[1]) == 0
    loss_fn(feats[2:4], torch.tensor([1, 2]))  # overwrites the oldest: feats[0]
    assert torch.equal(loss_fn.table[1], feats[[2, 1]])
    assert torch.equal(loss_fn.table[2], torch.stack([feats[3], torch.zeros(2)]))
    loss_fn(feats[4:5], torch.tensor([1]))
    assert torch.equal(loss_fn.table[1], feats[[2, 4]])
    assert torch.equal(loss_fn.table[0], torch.zeros(2, 2))
    assert loss_fn.ptr.tolist() == [0, 0, 1]


def test_empty_batch_gives_zero_attached_loss():
    loss_fn = make_loss()
    x = torch.zeros(0, 2, requires_grad=True)
    loss = loss_fn(x, torch.zeros(0, dtype=torch.long))
    loss.backward()
    assert loss.item() == 0


def test_table_survives_state_dict(tmp_path: Path):
    loss_fn = make_loss()
    loss_fn(F.normalize(torch.randn(3, 2), dim=1), torch.tensor([0, 2, 2]))
    torch.save(loss_fn.state_dict(), tmp_path / 'tri.pth')
    state = torch.load(tmp_path / 'tri.pth')
    assert set(state) == {'table', 'ptr'}
    unsized = make_loss(num_person_ids=None)
    assert unsized.num_person_ids == 0
    unsized.load_state_dict(state)
    assert torch.equal(unsized.table, loss_fn.table)
    assert torch.equal(unsized.ptr, loss_fn.ptr)
    with pytest.raises(
            ValueError,
            match=r'table of the loaded state dict has shape '
            r'\(3, 2, 2\), but this ProxyTripletLoss has num_proxies=3'):
        make_loss(num_proxies=3).load_state_dict(state)


@pytest.mark.parametrize('labels', [[0, -1], [3], [5, 0]])
def test_labels_outside_the_table_are_refused(labels):
    loss_fn = make_loss()
    with pytest.raises(
            ValueError, match=r'labels must lie in \[0, 2\].*drop unlabelled'):
        loss_fn(torch.zeros(len(labels), 2), torch.tensor(labels))
    assert torch.equal(loss_fn.table, torch.zeros(3, 2, 2))


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match=r'num_proxies \(K\) must be >= 1, got 0'):
        make_loss(num_proxies=0)
    with pytest.raises(ValueError, match='margin must be >= 0, got -0.1'):
        make_loss(margin=-0.1)
    with pytest.raises(ValueError, match="negatives must be 'table' or 'batch'"):
        make_loss(negatives='all')
    with pytest.raises(RuntimeError, match='num_person_ids'):
        make_loss(num_person_ids=None)(torch.zeros(1, 2), torch.tensor([0]))


# ---------------------------------------------------------------- 2 ranks
NUM_STEPS = 3
NUM_IDS = 4
DIM = 3


def _batches(step: int, rank: int):
    """Deterministic per-rank batch with a rank-dependent size."""
    generator = torch.Generator().manual_seed(100 * step + rank)
    size = 2 + rank + step
    feats = F.normalize(torch.randn(size, DIM, generator=generator), dim=1)
    return feats, torch.randint(0, NUM_IDS, (size, ), generator=generator)


def _worker(rank: int, world_size: int, port: int, out_dir: str) -> None:
    dist.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=world_size)
    loss_fn = ProxyTripletLoss(num_features=DIM, num_person_ids=NUM_IDS)
    for step in range(NUM_STEPS):
        feats, ids = _batches(step, rank)
        feats.requires_grad_()
        loss_fn(feats, ids).backward()
        assert feats.grad is not None
    torch.save(loss_fn.state_dict(), f'{out_dir}/rank{rank}.pth')
    dist.destroy_process_group()


def test_two_process_tables_match_single_process(tmp_path: Path):
    world_size = 2
    mp.spawn(
        _worker,
        args=(world_size, free_port(), str(tmp_path)),
        nprocs=world_size,
        join=True)
    states = [torch.load(tmp_path / f'rank{r}.pth') for r in range(world_size)]
    single = ProxyTripletLoss(num_features=DIM, num_person_ids=NUM_IDS)
    for step in range(NUM_STEPS):
        batches = [_batches(step, rank) for rank in range(world_size)]
        single(torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches]))
    # some row was written more than K times: the FIFO order matters
    assert int(
        torch.cat(
            [_batches(s, r)[1] for s in range(NUM_STEPS)
             for r in range(world_size)]).bincount().max()) > 2
    for name in ('table', 'ptr'):
        assert torch.equal(states[0][name], states[1][name]), name
        assert torch.equal(states[0][name], getattr(single, name)), name
