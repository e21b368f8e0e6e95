"""PK sampling of person crops: P identities x K crops per batch."""
from collections import defaultdict
from typing import Iterator, List, Optional, Sized

import torch
from mmdet.registry import DATA_SAMPLERS
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler


@DATA_SAMPLERS.register_module()
class IdentitySampler(Sampler):
    """PK sampling for batch-hard triplet losses: every batch of
    ``batch_size = P x K`` crops holds P distinct identities with K crops
    each (the recipe of the re-ID baseline RDLR builds on, 16 x 4;
    michuanhaohao/reid-strong-baseline ``RandomIdentitySampler``).

    mmdet's ``ClassAwareSampler`` groups by detection category (the one
    person class here) and mmdet's ``ReIDDataset`` PK-samples inside one
    item (a ``filename label`` list of crop files); this sampler draws the
    items of a dataset with a ``person_id`` per item, such as
    :class:`~mmps.datasets.PersonCropDataset`, whose crops are cut from
    whole scenes in the pipeline.

    Each epoch (seeded by ``seed + epoch``, :meth:`set_epoch`):

    1. items with ``person_id`` -1 (unlabelled boxes) are skipped: they
       are never drawn;
    2. each identity's crops are shuffled and cut into groups of K; the
       remainder (fewer than K crops) is left out this epoch, a different
       one each epoch; an identity with fewer than K crops gives one group
       of all its crops completed by crops of its own drawn with
       replacement;
    3. the groups are arranged in rounds, each identity's r-th group in
       round r, the identities of a round in random order, so that every
       P consecutive groups (a batch) hold P distinct identities; a round
       of fewer than P identities (the excess groups of the most frequent
       identities) is left out, and so are the groups of a last incomplete
       batch;
    4. the batches are shuffled and dealt to the ranks in turn, each rank
       the same number of whole batches (the batches beyond a multiple of
       the world size are left out), as mmengine's ``DefaultSampler``
       splits an epoch.

    What holds: every batch of ``batch_size`` consecutive indices of a
    rank is P groups of K crops of P distinct identities, provided the
    dataloader's ``batch_size`` equals this ``batch_size`` (mmengine builds
    samplers from the dataset and seed only, so the sampler cannot see the
    dataloader's; RDLR's configs set both from one value,
    ``pk_batch_size``).
    The epoch length is fixed by the identities' crop counts, not by the
    draw.

    Args:
        dataset (Sized): A dataset with ``get_person_ids()`` (one id per
            item, -1 unlabelled), e.g. :class:`~mmps.datasets.PersonCropDataset`.
        batch_size (int): Crops per batch and rank, P x K; the
            dataloader's ``batch_size``. Defaults to 64 (16 x 4).
        num_instances (int): K, crops per identity in a batch. Defaults
            to 4.
        seed (int, optional): Random seed, the same on every rank; None
            draws one and shares it (``sync_random_seed``). Defaults to
            None.

    Raises:
        ValueError: K < 1, a ``batch_size`` that is not a positive multiple
            of K, a dataset without labelled identities, or too few
            identities for one batch per rank.
        TypeError: A dataset without ``get_person_ids``.

    Examples:
        >>> from mmps.datasets.samplers import IdentitySampler
        >>> class Crops:  # ids 0 and 2: 4 crops, id 1: 2, two unlabelled
        ...     person_ids = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2, -1, -1]
        ...     def __len__(self):
        ...         return len(self.person_ids)
        ...     def get_person_ids(self):
        ...         return self.person_ids
        >>> sampler = IdentitySampler(Crops(), batch_size=4, num_instances=2, seed=0)
        >>> [Crops.person_ids[i] for i in sampler]  # 2 batches of 2 ids x 2
        [0, 0, 2, 2, 1, 1, 2, 2]
    """

    def __init__(self,
                 dataset: Sized,
                 batch_size: int = 64,
                 num_instances: int = 4,
                 seed: Optional[int] = None) -> None:
        if num_instances < 1:
            raise ValueError(f'IdentitySampler needs num_instances (K) >= 1, got '
                             f'{num_instances}')
        if batch_size < num_instances or batch_size % num_instances:
            raise ValueError(
                f'IdentitySampler batch_size={batch_size} is not a multiple of '
                f'num_instances={num_instances}: set batch_size (and the '
                f"dataloader's) to P x {num_instances}, e.g. "
                f'{16 * num_instances} = 16 x {num_instances}')
        if not hasattr(dataset, 'get_person_ids'):
            raise TypeError(f'IdentitySampler needs a dataset with get_person_ids() '
                            f'(e.g. PersonCropDataset), got {type(dataset).__name__}')
        self.dataset = dataset
        self.batch_size = batch_size
        self.num_instances = num_instances
        self.ids_per_batch = batch_size // num_instances
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0
        items = defaultdict(list)
        for index, person_id in enumerate(dataset.get_person_ids()):
            if person_id >= 0:
                items[int(person_id)].append(index)
        if not items:
            raise ValueError('IdentitySampler found no labelled crop (person_id >= 0) '
                             'in the dataset: PK sampling needs identities')
        self.items_per_id = [items[key] for key in sorted(items)]
        k = num_instances
        num_groups = [max(1, len(crops) // k) for crops in self.items_per_id]
        # groups in the rounds of at least P identities
        round_sizes = [sum(n > r for n in num_groups) for r in range(max(num_groups))]
        kept = sum(size for size in round_sizes if size >= self.ids_per_batch)
        self.batches_per_rank = kept // self.ids_per_batch // self.world_size
        if self.batches_per_rank == 0:
            raise ValueError(
                f'IdentitySampler: {len(items)} labelled identities give no batch of '
                f'{self.ids_per_batch} distinct identities per rank '
                f'({self.world_size} ranks): lower batch_size')

    def groups(self, generator: torch.Generator) -> List[List[List[int]]]:
        """Step 2: each identity's groups of K item indices.

        Args:
            generator (torch.Generator): The epoch's generator.

        Returns:
            list[list[list[int]]]: Per identity (sorted by id), its groups.
        """
        k = self.num_instances
        per_id = []
        for items in self.items_per_id:
            order = torch.randperm(len(items), generator=generator).tolist()
            if len(items) < k:
                order += torch.randint(
                    len(items), (k - len(items), ), generator=generator).tolist()
            starts = range(0, len(order) - k + 1, k)
            per_id.append([[items[i] for i in order[s:s + k]] for s in starts])
        return per_id

    def batches(self, generator: torch.Generator) -> List[List[int]]:
        """Steps 2 and 3: the epoch's batches, each P groups of distinct
        identities, in rounds.

        Args:
            generator (torch.Generator): The epoch's generator.

        Returns:
            list[list[int]]: Batches of ``batch_size`` item indices.
        """
        per_id = self.groups(generator)
        p = self.ids_per_batch
        ids, groups = [], []
        for r in range(max(len(g) for g in per_id)):
            members = [i for i, g in enumerate(per_id) if len(g) > r]
            if len(members) < p:  # later rounds are no larger
                break
            order = [
                members[i]
                for i in torch.randperm(len(members), generator=generator).tolist()
            ]
            # the batch begun by the last round must not meet its ids again
            begun = len(ids) % p
            open_ids = set(ids[len(ids) - begun:]) if begun else set()
            spare = p - begun
            if open_ids:
                swap = spare
                for pos in range(spare):
                    if order[pos] in open_ids:
                        while order[swap] in open_ids:
                            swap += 1
                        order[pos], order[swap] = order[swap], order[pos]
                        swap += 1
            ids += order
            groups += [per_id[i][r] for i in order]
        starts = range(0, len(groups) - p + 1, p)
        return [[item for group in groups[s:s + p] for item in group] for s in starts]

    def __iter__(self) -> Iterator[int]:
        """This rank's item indices of the epoch, batch after batch."""
        generator = torch.Generator()
        generator.manual_seed(self.seed + self.epoch)
        batches = self.batches(generator)
        order = torch.randperm(len(batches), generator=generator).tolist()
        total = self.batches_per_rank * self.world_size
        mine = order[:total][self.rank::self.world_size]
        return iter([index for b in mine for index in batches[b]])

    def __len__(self) -> int:
        """Item indices per rank and epoch."""
        return self.batches_per_rank * self.batch_size

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch, which seeds the next draw (mmengine's
        ``DistSamplerSeedHook`` calls it).

        Args:
            epoch (int): The epoch.
        """
        self.epoch = epoch
