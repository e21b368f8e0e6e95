"""IdentitySampler: PK batches of person crops (P ids x K crops)."""
from collections import Counter
from typing import List

import pytest
from mmengine.runner import Runner

from mmps.datasets.samplers import IdentitySampler, identity_sampler

K = 4
# item ids: 2 crops of id 0 (fewer than K), 5 of id 1 (one group, one left
# out), 9 of id 2, 4 each of ids 3-6, 13 of id 7 (3 groups), unlabelled -1
PERSON_IDS = ([0] * 2 + [1] * 5 + [2] * 9 + [3, 4, 5, 6] * 4 + [7] * 13 + [-1] * 6)


class Crops:
    """The part of a crop dataset the sampler reads."""

    def __init__(self, person_ids: List[int]) -> None:
        self.person_ids = person_ids

    def __len__(self) -> int:
        return len(self.person_ids)

    def get_person_ids(self) -> List[int]:
        return list(self.person_ids)


def _epoch(sampler: IdentitySampler, epoch: int = 0) -> List[int]:
    sampler.set_epoch(epoch)
    return list(sampler)


def _groups(indices: List[int], size: int) -> List[List[int]]:
    return [indices[i:i + size] for i in range(0, len(indices), size)]


def test_batches_are_p_identities_of_k_crops():
    sampler = IdentitySampler(
        Crops(PERSON_IDS), batch_size=3 * K, num_instances=K, seed=0)
    # groups per id 1,1,2,1,1,1,1,3: rounds of 8, 2, 1 ids; P=3 keeps round 1
    assert len(sampler) == 2 * 3 * K
    for epoch in range(4):
        indices = _epoch(sampler, epoch)
        assert len(indices) == len(sampler)
        for batch in _groups(indices, 3 * K):
            ids = [PERSON_IDS[i] for i in batch]
            assert -1 not in ids  # unlabelled crops are never drawn
            groups = _groups(ids, K)
            assert all(len(set(group)) == 1 for group in groups)
            assert len({group[0] for group in groups}) == 3


def test_rounds_keep_p_distinct_ids_across_their_boundary():
    # 5 ids with 3 groups each: rounds of 5 ids, P=2: batches cross rounds
    person_ids = [i for i in range(5) for _ in range(3 * K)]
    sampler = IdentitySampler(
        Crops(person_ids), batch_size=2 * K, num_instances=K, seed=1)
    assert len(sampler) == 7 * 2 * K  # 15 groups, 7 whole batches
    for epoch in range(10):
        for batch in _groups(_epoch(sampler, epoch), 2 * K):
            first, second = person_ids[batch[0]], person_ids[batch[K]]
            assert first != second


def test_fewer_than_k_crops_are_drawn_with_replacement():
    sampler = IdentitySampler(Crops(PERSON_IDS), batch_size=K, num_instances=K, seed=0)
    for epoch in range(3):
        groups = _groups(_epoch(sampler, epoch), K)
        small = [group for group in groups if PERSON_IDS[group[0]] == 0]
        assert len(small) == 1
        assert set(small[0]) == {0, 1}  # both crops, the others repeat them
        assert max(Counter(small[0]).values()) > 1
        # id 1 has 5 crops: one group of 4 distinct crops, one left out
        (five, ) = [group for group in groups if PERSON_IDS[group[0]] == 1]
        assert len(set(five)) == K


def test_the_seed_and_epoch_fix_the_draw():

    def sampler(seed):
        return IdentitySampler(
            Crops(PERSON_IDS), batch_size=K, num_instances=K, seed=seed)

    assert _epoch(sampler(3), 1) == _epoch(sampler(3), 1)
    assert _epoch(sampler(3), 1) != _epoch(sampler(3), 2)
    assert _epoch(sampler(3), 1) != _epoch(sampler(4), 1)


def test_two_ranks_split_an_epoch_into_equal_disjoint_halves(monkeypatch):
    halves = []
    for rank in (0, 1):
        monkeypatch.setattr(identity_sampler, 'get_dist_info', lambda: (rank, 2))
        sampler = IdentitySampler(
            Crops(PERSON_IDS), batch_size=2 * K, num_instances=K, seed=7)
        halves.append(_epoch(sampler, 5))
        assert len(halves[-1]) == len(sampler)
    # 11 groups, 5 batches of 2 ids: 2 whole batches per rank
    assert len(halves[0]) == len(halves[1]) == 2 * 2 * K
    assert not set(halves[0]) & set(halves[1])
    for half in halves:
        for batch in _groups(half, 2 * K):
            assert len({PERSON_IDS[i] for i in batch}) == 2


def test_runner_dataloader_of_person_crops_gives_pk_batches(tiny_root):
    """The config form: mmengine builds the sampler (dataset and seed as
    default arguments) and batches its indices by the loader's batch_size."""
    loader = Runner.build_dataloader(
        dict(
            batch_size=2 * K,
            num_workers=0,
            collate_fn=list,  # the data infos as they are
            sampler=dict(type='IdentitySampler', batch_size=2 * K, num_instances=K),
            dataset=dict(
                type='PersonCropDataset',
                data_root=tiny_root,
                ann_file='annotations/train.json',
                data_prefix=dict(img='images/'),
                pipeline=[])),
        seed=0)
    assert isinstance(loader.sampler, IdentitySampler)
    batches = list(loader)
    assert len(batches) == len(loader.sampler) // (2 * K) > 0
    for batch in batches:
        ids = [info['person_id'] for info in batch]
        assert min(ids) >= 0 and len(set(ids)) == 2
        assert all(len(set(group)) == 1 for group in _groups(ids, K))


@pytest.mark.parametrize('kwargs, person_ids, error, message', [
    (dict(batch_size=62), PERSON_IDS, ValueError,
     'batch_size=62 is not a multiple of num_instances=4: set batch_size'),
    (dict(batch_size=2), PERSON_IDS, ValueError, 'batch_size=2 is not a multiple'),
    (dict(num_instances=0), PERSON_IDS, ValueError, r'num_instances \(K\) >= 1, got 0'),
    (dict(), [-1, -1, -1], ValueError, 'found no labelled crop'),
    (dict(batch_size=9 * K), PERSON_IDS, ValueError,
     '8 labelled identities give no batch of 9 distinct identities'),
    (dict(), None, TypeError, 'needs a dataset with get_person_ids'),
])
def test_bad_settings_are_refused(kwargs, person_ids, error, message):
    dataset = Crops(person_ids) if person_ids is not None else list(range(8))
    with pytest.raises(error, match=message):
        IdentitySampler(dataset, **dict(dict(num_instances=K, seed=0), **kwargs))
