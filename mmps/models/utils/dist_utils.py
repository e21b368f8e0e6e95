"""Gathering tensors whose first dimension differs across ranks."""
from typing import List

import torch
import torch.distributed as dist
from mmengine.dist import get_world_size
from torch import Tensor


def all_gather_variable(tensor: Tensor) -> List[Tensor]:
    """All-gather tensors that differ in their first dimension across ranks.

    Every rank first shares its row count, then pads its tensor to the largest
    count, all-gathers, and trims the padding. The result carries no gradient.

    Args:
        tensor (Tensor): Shape (n_r, ...), where n_r may differ per rank; the
            trailing dimensions, dtype and device must agree across ranks.

    Returns:
        list[Tensor]: One tensor per rank, in rank order; entry r has shape
        (n_r, ...). Outside torch.distributed: ``[tensor.detach()]``.
    """
    world_size = get_world_size()
    tensor = tensor.detach()
    if world_size == 1:
        return [tensor]
    count = torch.tensor([tensor.shape[0]], dtype=torch.long, device=tensor.device)
    counts = [torch.zeros_like(count) for _ in range(world_size)]
    dist.all_gather(counts, count)
    counts = [int(c.item()) for c in counts]
    max_count = max(counts)
    padded = tensor.new_zeros((max_count, ) + tuple(tensor.shape[1:]))
    padded[:tensor.shape[0]] = tensor
    gathered = [torch.zeros_like(padded) for _ in range(world_size)]
    dist.all_gather(gathered, padded)
    return [g[:c] for g, c in zip(gathered, counts)]
