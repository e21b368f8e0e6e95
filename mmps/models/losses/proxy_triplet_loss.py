"""Proxy triplet loss of RDLR (Han et al., ICCV 2019, Sec. 3.3, Eq. 5)."""
from typing import Any, Dict, List, Optional

import torch
import torch.nn as nn
from mmdet.registry import MODELS
from torch import Tensor

from ..utils.dist_utils import all_gather_variable

NEGATIVES = ('table', 'batch')


@MODELS.register_module()
class ProxyTripletLoss(nn.Module):
    """Triplet loss whose positives and negatives are proxies: the last K
    features seen of every identity, kept in a table.

    Detections of a scene rarely come with a second view of the same person,
    so the batch cannot build triplets; the table can (Fig. 4 of RDLR). For
    anchor i with label y:

    - ``d_ap``: the largest squared Euclidean distance to the K slots of row
      y;
    - ``d_an``: the smallest squared distance to a slot of a negative row.
      ``negatives='table'`` (Fig. 4: "the rests are negative ones"): every
      row but y. ``negatives='batch'`` (Eq. 5: ``j != i`` runs over the
      anchors): the rows of the other anchors' identities, y excluded; an
      anchor without one gives no loss;

    and ``L = sum_i [margin + d_ap - d_an]_+`` (Eq. 5 sums, it does not
    average). The table starts at zero and unfilled slots stay zero (a unit
    feature is at squared distance 1 from them).

    After the loss, and only in training mode, the detached features
    overwrite the oldest slot of their identity's row (first in, first
    out), one sample after another. Under ``torch.distributed`` the features
    and labels of every rank are all-gathered first and written in rank
    order, so all ranks keep the table of one process that saw the joined
    batch (as :class:`~mmps.models.losses.OIMLoss`). ``table`` and ``ptr``
    are buffers: checkpoints carry them.

    mmdet's ``TripletLoss`` mines inside the batch (PK sampling); it cannot
    hold proxies across iterations.

    Args:
        num_features (int): Embedding dimension D. Defaults to 2048.
        num_person_ids (int, optional): Rows N of the table, the labelled
            identities of the training data. None builds an empty table that
            takes its size from the first state dict loaded (inference);
            :func:`mmps.utils.fill_num_person_ids` fills it for training.
            Defaults to None.
        num_proxies (int): Slots K per identity. Defaults to 2 (Sec. 4.2).
        margin (float): m. Defaults to 0.5 (Sec. 4.2).
        negatives (str): 'table' or 'batch' (see above). Defaults to
            'table'.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        loss_name (str): Key in the loss dict. Defaults to 'loss_proxy_tri'.

    Examples:
        >>> import torch
        >>> from mmps.models.losses import ProxyTripletLoss
        >>> loss = ProxyTripletLoss(num_features=2, num_person_ids=2)
        >>> loss(torch.tensor([[1., 0.]]), torch.tensor([0]))  # 0.5 + 1 - 1
        tensor(0.5000)
        >>> loss.table[0]  # the feature took row 0's oldest slot
        tensor([[1., 0.],
                [0., 0.]])
    """

    def __init__(self,
                 num_features: int = 2048,
                 num_person_ids: Optional[int] = None,
                 num_proxies: int = 2,
                 margin: float = 0.5,
                 negatives: str = 'table',
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_proxy_tri') -> None:
        super().__init__()
        if num_proxies < 1:
            raise ValueError(f'num_proxies (K) must be >= 1, got {num_proxies}')
        if margin < 0:
            raise ValueError(f'margin must be >= 0, got {margin}')
        if negatives not in NEGATIVES:
            raise ValueError(f"negatives must be 'table' or 'batch', got {negatives!r}")
        self.num_features = num_features
        self.num_proxies = num_proxies
        self.margin = margin
        self.negatives = negatives
        self.loss_weight = loss_weight
        self.loss_name = loss_name
        num_rows = 0 if num_person_ids is None else num_person_ids
        self.register_buffer('table', torch.zeros(num_rows, num_proxies, num_features))
        self.register_buffer('ptr', torch.zeros(num_rows, dtype=torch.long))

    @property
    def num_person_ids(self) -> int:
        """Number of rows N of the table."""
        return self.table.shape[0]

    def forward(self, embeddings: Tensor, person_ids: Tensor) -> Tensor:
        """Compute the loss, then (in training mode) update the table.

        Args:
            embeddings (Tensor): Anchor features f(I_i), shape (b, D).
            person_ids (Tensor): Their identities, shape (b,), in
                ``[0, num_person_ids)`` (the caller drops unlabelled ones).

        Returns:
            Tensor: Scalar loss times ``loss_weight`` (zero, still attached
            to ``embeddings``, without anchors or triplets).

        Raises:
            RuntimeError: The table is empty (``num_person_ids`` unset).
            ValueError: A label is negative or >= ``num_person_ids``.
        """
        if self.num_person_ids == 0:
            raise RuntimeError(
                'ProxyTripletLoss has no table: set num_person_ids from the '
                "training dataset's metainfo['num_person_ids'] "
                '(mmps.utils.fill_num_person_ids does it)')
        person_ids = person_ids.long()
        if person_ids.numel() and (int(person_ids.min()) < 0
                                   or int(person_ids.max()) >= self.num_person_ids):
            raise ValueError(
                f'ProxyTripletLoss labels must lie in [0, {self.num_person_ids - 1}], '
                f'got {person_ids.tolist()}: drop unlabelled (-1) samples and check '
                'num_person_ids against the training data')
        loss = embeddings.sum() * 0
        if person_ids.numel():
            # clone: the table is updated in place before backward runs
            table = self.table.clone().to(embeddings.dtype)
            # (b, N, K) squared distances to every slot
            dists = (embeddings[:, None, None, :] - table[None]).pow(2).sum(-1)
            rows = torch.arange(self.num_person_ids, device=embeddings.device)
            negative = rows[None, :] != person_ids[:, None]  # (b, N)
            if self.negatives == 'batch':
                in_batch = torch.zeros_like(negative[0])
                in_batch[person_ids] = True
                negative = negative & in_batch[None, :]
            d_ap = dists[torch.arange(len(person_ids)), person_ids].max(dim=1)[0]
            masked = dists.masked_fill(~negative[:, :, None], float('inf'))
            d_an = masked.flatten(1).min(dim=1)[0]
            valid = negative.any(dim=1)
            if valid.any():
                hinge = (self.margin + d_ap[valid] - d_an[valid]).clamp(min=0)
                loss = loss + hinge.sum()
        if self.training:
            self.update(embeddings, person_ids)
        return loss * self.loss_weight

    @torch.no_grad()
    def update(self, embeddings: Tensor, person_ids: Tensor) -> None:
        """Write the features of every rank into their rows, in rank order,
        each over its row's oldest slot.

        Args:
            embeddings (Tensor): Local features, shape (b, D).
            person_ids (Tensor): Local labels, shape (b,).
        """
        all_embeddings = torch.cat(all_gather_variable(embeddings))
        all_ids = torch.cat(all_gather_variable(person_ids))
        for feature, y in zip(all_embeddings, all_ids.tolist()):
            slot = int(self.ptr[y])
            self.table[y, slot] = feature.to(self.table.dtype)
            self.ptr[y] = (slot + 1) % self.num_proxies

    def _load_from_state_dict(self, state_dict: Dict[str, Any], prefix: str,
                              local_metadata: Dict, strict: bool,
                              missing_keys: List[str], unexpected_keys: List[str],
                              error_msgs: List[str]) -> None:
        """Let an empty table (``num_person_ids=None``) take the size of the
        table in the state dict, so that inference models load any
        checkpoint without knowing the training dataset.

        Raises:
            ValueError: The loaded table is not (rows, ``num_proxies``,
                ``num_features``).
        """
        table = state_dict.get(prefix + 'table')
        if table is not None:
            if table.dim() != 3 or tuple(
                    table.shape[1:]) != (self.num_proxies, self.num_features):
                raise ValueError(
                    f'{prefix}table of the loaded state dict has shape '
                    f'{tuple(table.shape)}, but this ProxyTripletLoss has '
                    f'num_proxies={self.num_proxies}, '
                    f'num_features={self.num_features}: the weights belong to '
                    'another model')
            if self.num_person_ids == 0:
                self.table = self.table.new_zeros(table.shape)
                self.ptr = self.ptr.new_zeros(table.shape[0])
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)

    def extra_repr(self) -> str:
        """The settings, for ``repr``."""
        return (f'num_features={self.num_features}, '
                f'num_person_ids={self.num_person_ids}, '
                f'num_proxies={self.num_proxies}, margin={self.margin}, '
                f'negatives={self.negatives!r}')
