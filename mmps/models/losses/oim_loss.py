"""Online Instance Matching loss (Xiao et al., CVPR 2017)."""
from typing import Any, Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.registry import MODELS
from torch import Tensor

from ..utils.dist_utils import all_gather_variable


@MODELS.register_module()
class OIMLoss(nn.Module):
    """Online Instance Matching loss with a labelled lookup table and a
    circular queue of unlabelled features.

    The loss takes the embeddings of the proposals assigned to a person (the
    caller drops background proposals). A proposal with ``person_id >= 0``
    scores its embedding against every row of ``[lut; queue]`` (cosine
    similarities times ``scalar``) and pays the cross entropy on its label.
    A proposal with ``person_id == -1`` (unlabelled) gives no loss; its
    embedding enters the queue.

    After the loss is computed, and only in training mode, the buffers are
    updated with the detached embeddings, one sample after another:
    ``lut[y] = normalize(momentum * lut[y] + (1 - momentum) * x)`` for each
    labelled sample, and the unlabelled ones overwrite the oldest queue rows.
    Under ``torch.distributed`` the embeddings and ids of every rank are
    all-gathered first and the updates applied in rank order, so that all
    ranks keep identical buffers, equal to those of one process that saw the
    global batch in rank order. Gradients reach only the local embeddings.

    ``lut``, ``queue`` and ``queue_ptr`` are buffers: checkpoints carry them.

    Args:
        num_features (int): Embedding dimension D. Defaults to 256.
        num_person_ids (int, optional): Number of labelled identities K in
            the training data (``dataset.metainfo['num_person_ids']``). None
            builds an empty lookup table that takes its size from the first
            state dict loaded into it (enough for inference); training needs
            the number (see :func:`mmps.utils.fill_num_person_ids`).
        queue_size (int): Rows Q of the unlabelled queue (OIM: 5000 on
            CUHK-SYSU, 500 on PRW). Defaults to 5000.
        momentum (float): Lookup-table momentum. Defaults to 0.5 (OIM).
        scalar (float): Inverse temperature applied to the cosine
            similarities. Defaults to 30 (OIM).
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        loss_name (str): Key of the loss in the loss dict of the heads.
            Defaults to 'loss_oim'.

    Examples:
        >>> import torch
        >>> import torch.nn.functional as F
        >>> from mmps.models import OIMLoss
        >>> loss = OIMLoss(num_features=2, num_person_ids=3, queue_size=2)
        >>> x = F.normalize(torch.tensor([[1., 0.], [0., 1.]]), dim=1)
        >>> loss(x, torch.tensor([1, -1]))  # empty memory: uniform scores
        tensor(1.6094)
        >>> loss.lut[1], loss.queue[0]  # the updates of that call
        (tensor([1., 0.]), tensor([0., 1.]))
    """

    def __init__(self,
                 num_features: int = 256,
                 num_person_ids: Optional[int] = None,
                 queue_size: int = 5000,
                 momentum: float = 0.5,
                 scalar: float = 30.0,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_oim') -> None:
        super().__init__()
        self.loss_name = loss_name
        self.num_features = num_features
        self.queue_size = queue_size
        self.momentum = momentum
        self.scalar = scalar
        self.loss_weight = loss_weight
        num_rows = 0 if num_person_ids is None else num_person_ids
        self.register_buffer('lut', torch.zeros(num_rows, num_features))
        self.register_buffer('queue', torch.zeros(queue_size, num_features))
        self.register_buffer('queue_ptr', torch.zeros((), dtype=torch.long))

    @property
    def num_person_ids(self) -> int:
        """Number of rows K of the lookup table."""
        return self.lut.shape[0]

    def forward(self, embeddings: Tensor, person_ids: Tensor) -> Tensor:
        """Compute the loss, then (in training mode) update the buffers.

        Args:
            embeddings (Tensor): L2-normalised embeddings of the proposals
                assigned to persons, shape (N, D).
            person_ids (Tensor): Their identities, shape (N,), int64:
                ``0..K-1`` labelled, -1 unlabelled.

        Returns:
            Tensor: Scalar loss, the mean cross entropy over the labelled
            samples times ``loss_weight`` (zero, still attached to
            ``embeddings``, when there are none).
        """
        if self.training and self.num_person_ids == 0:
            raise RuntimeError(
                'OIMLoss has no lookup table: set num_person_ids from the '
                "training dataset's metainfo['num_person_ids'] before "
                'training (mmps.utils.fill_num_person_ids does it).')
        person_ids = person_ids.long()
        labelled = person_ids >= 0
        if labelled.any():
            # clone: the buffers are updated in place before backward runs
            memory = torch.cat([self.lut, self.queue]).clone()
            logits = embeddings[labelled] @ memory.t() * self.scalar
            loss = F.cross_entropy(logits, person_ids[labelled])
        else:
            loss = embeddings.sum() * 0
        if self.training:
            self.update(embeddings, person_ids)
        return loss * self.loss_weight

    @torch.no_grad()
    def update(self, embeddings: Tensor, person_ids: Tensor) -> None:
        """Update the buffers with the samples of every rank, in rank order.

        Args:
            embeddings (Tensor): Local embeddings, shape (N, D).
            person_ids (Tensor): Local identities, shape (N,), -1 unlabelled.
        """
        all_embeddings = torch.cat(all_gather_variable(embeddings))
        all_ids = torch.cat(all_gather_variable(person_ids))
        self._update_lut(all_embeddings, all_ids)
        self._update_queue(all_embeddings[all_ids == -1])

    def _update_lut(self, embeddings: Tensor, person_ids: Tensor) -> None:
        """Momentum-update the lookup-table rows of the labelled samples in
        order (a repeated identity is updated once per occurrence).

        Args:
            embeddings (Tensor): Shape (N, D).
            person_ids (Tensor): Shape (N,); entries < 0 are skipped.
        """
        for x, y in zip(embeddings, person_ids.tolist()):
            if y < 0:
                continue
            row = self.momentum * self.lut[y] + (1 - self.momentum) * x
            self.lut[y] = F.normalize(row, dim=0)

    def _update_queue(self, embeddings: Tensor) -> None:
        """Write unlabelled features into the circular queue from its write
        pointer on, wrapping around; with more features than rows only the
        last ``queue_size`` ones survive, as with sequential writes.

        Args:
            embeddings (Tensor): Unlabelled features, shape (U, D).
        """
        num = embeddings.shape[0]
        if num == 0 or self.queue_size == 0:
            return
        start = int(self.queue_ptr)
        kept = embeddings[-self.queue_size:]
        skipped = num - kept.shape[0]
        index = (start + skipped +
                 torch.arange(kept.shape[0], device=kept.device)) % self.queue_size
        self.queue[index] = kept.to(self.queue.dtype)
        self.queue_ptr.fill_((start + num) % self.queue_size)

    def _load_from_state_dict(self, state_dict: Dict[str, Any], prefix: str,
                              local_metadata: Dict, strict: bool,
                              missing_keys: List[str], unexpected_keys: List[str],
                              error_msgs: List[str]) -> None:
        """Refuse tables of another embedding width, then let an empty
        lookup table (``num_person_ids=None``) take the size of the table in
        the state dict, so that inference models load any checkpoint
        without knowing the training dataset.

        Raises:
            ValueError: ``lut`` or ``queue`` of the state dict is not a
                (rows, ``num_features``) matrix: the state dict belongs to a
                model of another embedding size.
        """
        for name in ('lut', 'queue'):
            table = state_dict.get(prefix + name)
            if table is not None and (table.dim() != 2
                                      or table.shape[1] != self.num_features):
                raise ValueError(
                    f'{prefix}{name} of the loaded state dict has shape '
                    f'{tuple(table.shape)}, but this OIMLoss has '
                    f'num_features={self.num_features}: the weights belong '
                    'to a model of another embedding size')
        lut = state_dict.get(prefix + 'lut')
        if lut is not None and self.num_person_ids == 0:
            self.lut = self.lut.new_zeros(lut.shape)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)

    def extra_repr(self) -> str:
        return (f'num_features={self.num_features}, '
                f'num_person_ids={self.num_person_ids}, '
                f'queue_size={self.queue_size}, momentum={self.momentum}, '
                f'scalar={self.scalar}')
