"""Tests of OIMLoss: values, gradients, buffer updates, checkpoints and
multi-process consistency."""
import math
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

from mmps.models.losses import OIMLoss
from mmps.testing import free_port


def make_loss(**kwargs) -> OIMLoss:
    cfg = dict(
        num_features=2, num_person_ids=2, queue_size=2, momentum=0.5, scalar=30.0)
    cfg.update(kwargs)
    return OIMLoss(**cfg)


def test_forward_backward_hand_computed():
    loss_fn = make_loss()
    loss_fn.lut.copy_(torch.tensor([[1., 0.], [0., 1.]]))
    loss_fn.queue.copy_(torch.tensor([[0.6, 0.8], [0., 0.]]))
    r = 1 / math.sqrt(2)
    x = torch.tensor([[r, r]], requires_grad=True)
    loss = loss_fn(x, torch.tensor([0]))

    # cosine similarities with [lut; queue]: r, r, 1.4 r, 0; times 30
    logits = [30 * r, 30 * r, 30 * 1.4 * r, 0.]
    log_sum = math.log(sum(math.exp(v) for v in logits))
    assert loss.item() == pytest.approx(log_sum - logits[0], rel=1e-5)

    loss.backward()
    probs = [math.exp(v - log_sum) for v in logits]
    rows = [(1., 0.), (0., 1.), (0.6, 0.8), (0., 0.)]
    expected = [
        30 * (sum(p * row[d] for p, row in zip(probs, rows)) - rows[0][d])
        for d in range(2)
    ]
    assert torch.allclose(x.grad[0], torch.tensor(expected), rtol=1e-4)

    # training mode: the labelled row moved towards x, then re-normalised
    row = torch.tensor([0.5 + 0.5 * r, 0.5 * r])
    assert torch.allclose(loss_fn.lut[0], row / row.norm())
    assert torch.allclose(loss_fn.lut[1], torch.tensor([0., 1.]))


def test_unlabelled_only_gives_zero_loss_and_fills_queue():
    loss_fn = make_loss()
    x = F.normalize(torch.tensor([[1., 2.]]), dim=1).requires_grad_()
    loss = loss_fn(x, torch.tensor([-1]))
    assert loss.item() == 0
    loss.backward()  # still part of the graph
    assert torch.equal(x.grad, torch.zeros_like(x))
    assert torch.allclose(loss_fn.queue[0], x.detach()[0])
    assert int(loss_fn.queue_ptr) == 1
    assert torch.equal(loss_fn.lut, torch.zeros(2, 2))


def test_lut_updates_in_order_for_repeated_ids():
    loss_fn = make_loss(num_person_ids=3)
    x = F.normalize(torch.randn(3, 2), dim=1)
    loss_fn(x, torch.tensor([1, -1, 1]))
    expected = F.normalize(0.5 * F.normalize(0.5 * x[0], dim=0) + 0.5 * x[2], dim=0)
    assert torch.allclose(loss_fn.lut[1], expected, atol=1e-6)
    assert torch.equal(loss_fn.lut[0], torch.zeros(2))
    assert torch.equal(loss_fn.lut[2], torch.zeros(2))


def test_queue_wraps_around():
    loss_fn = make_loss(queue_size=3)
    feats = F.normalize(torch.randn(9, 2), dim=1)
    unlabelled = torch.full((2, ), -1)
    loss_fn(feats[0:2], unlabelled)  # rows 0, 1
    loss_fn(feats[2:4], unlabelled)  # rows 2, 0
    assert int(loss_fn.queue_ptr) == 1
    assert torch.equal(loss_fn.queue, feats[[3, 1, 2]])
    # more features than rows: sequential writes to rows 1, 2, 0, 1, 2
    loss_fn(feats[4:9], torch.full((5, ), -1))
    assert int(loss_fn.queue_ptr) == 0
    assert torch.equal(loss_fn.queue, feats[[6, 7, 8]])


def test_eval_mode_leaves_buffers_untouched():
    loss_fn = make_loss().eval()
    loss_fn.lut.copy_(torch.eye(2))
    x = F.normalize(torch.randn(2, 2), dim=1)
    loss_fn(x, torch.tensor([0, -1]))
    assert torch.equal(loss_fn.lut, torch.eye(2))
    assert int(loss_fn.queue_ptr) == 0


def test_buffers_survive_state_dict(tmp_path: Path):
    loss_fn = make_loss(num_person_ids=4, queue_size=3)
    x = F.normalize(torch.randn(5, 2), dim=1)
    loss_fn(x, torch.tensor([0, -1, 3, -1, 2]))
    path = tmp_path / 'oim.pth'
    torch.save(loss_fn.state_dict(), path)
    state = torch.load(path)
    assert set(state) == {'lut', 'queue', 'queue_ptr'}

    restored = make_loss(num_person_ids=4, queue_size=3)
    restored.load_state_dict(state)
    for name in ('lut', 'queue', 'queue_ptr'):
        assert torch.equal(getattr(restored, name), getattr(loss_fn, name))
    # an inference model built without num_person_ids takes the table size
    # from the checkpoint
    unsized = make_loss(num_person_ids=None, queue_size=3)
    assert unsized.num_person_ids == 0
    unsized.load_state_dict(state)
    assert torch.equal(unsized.lut, loss_fn.lut)


@pytest.mark.parametrize('num_person_ids', [None, 4], ids=['unsized', 'sized'])
@pytest.mark.parametrize('table', ['lut', 'queue'])
def test_tables_of_another_width_are_refused(num_person_ids, table):
    """A 64-d checkpoint never loads into a 512-d loss, not even into an
    empty lookup table (which otherwise takes the checkpoint's shape), and
    whether or not loading is strict."""
    state = make_loss(num_features=64, num_person_ids=4, queue_size=3).state_dict()
    other = make_loss(num_features=512, num_person_ids=4, queue_size=3).state_dict()
    state = {**other, table: state[table]}  # only this table is 64-d
    loss_fn = make_loss(num_features=512, num_person_ids=num_person_ids, queue_size=3)
    message = (rf'^{table} of the loaded state dict has shape \(\d, 64\), '
               'but this OIMLoss has num_features=512: the weights belong to '
               'a model of another embedding size$')
    for strict in (True, False):
        with pytest.raises(ValueError, match=message):
            loss_fn.load_state_dict(state, strict=strict)
    assert loss_fn.lut.shape == (0 if num_person_ids is None else 4, 512)


def test_training_without_lut_size_fails_clearly():
    loss_fn = make_loss(num_person_ids=None)
    with pytest.raises(RuntimeError, match='num_person_ids'):
        loss_fn(torch.zeros(1, 2), torch.tensor([0]))


# ---------------------------------------------------------------- 2 ranks
NUM_STEPS = 3
NUM_IDS = 5
DIM = 4
QUEUE_SIZE = 5


def _batches(step: int, rank: int):
    """Deterministic per-rank batch with a rank-dependent size."""
    generator = torch.Generator().manual_seed(100 * step + rank)
    size = 3 + 2 * rank + step
    feats = F.normalize(torch.randn(size, DIM, generator=generator), dim=1)
    ids = torch.randint(-3, NUM_IDS, (size, ), generator=generator)
    ids = ids.clamp(min=-1)  # about 3 in 8 unlabelled
    return feats, ids


def _worker(rank: int, world_size: int, port: int, out_dir: str) -> None:
    dist.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=world_size)
    torch.manual_seed(0)
    loss_fn = OIMLoss(num_features=DIM, num_person_ids=NUM_IDS, queue_size=QUEUE_SIZE)
    for step in range(NUM_STEPS):
        feats, ids = _batches(step, rank)
        feats.requires_grad_()
        loss = loss_fn(feats, ids)
        loss.backward()
        assert feats.grad is not None
    torch.save(loss_fn.state_dict(), f'{out_dir}/rank{rank}.pth')
    dist.destroy_process_group()


def test_two_process_buffers_match_single_process(tmp_path: Path):
    world_size = 2
    mp.spawn(
        _worker,
        args=(world_size, free_port(), str(tmp_path)),
        nprocs=world_size,
        join=True)
    states = [torch.load(tmp_path / f'rank{r}.pth') for r in range(2)]

    single = OIMLoss(num_features=DIM, num_person_ids=NUM_IDS, queue_size=QUEUE_SIZE)
    for step in range(NUM_STEPS):
        batches = [_batches(step, rank) for rank in range(world_size)]
        single(torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches]))
    # the steps wrote both labelled rows and more than a full queue
    assert (single.lut.norm(dim=1) > 0).sum() >= 3
    assert sum((b[1] == -1).sum() for b in (_batches(s, r) for s in range(NUM_STEPS)
                                            for r in range(world_size))) > 7

    for name in ('lut', 'queue', 'queue_ptr'):
        assert torch.equal(states[0][name], states[1][name]), name
        assert torch.allclose(states[0][name], getattr(single, name), atol=1e-6), name
