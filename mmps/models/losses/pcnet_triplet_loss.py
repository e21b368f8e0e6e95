"""Triplet loss of PCNet between aggregated and anchor features (Eq. 11)."""
import torch.nn as nn
import torch.nn.functional as F
from mmdet.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class PCNetTripletLoss(nn.Module):
    """``max(sigma + ||f - f'||^2 - min_j ||f - f'_j||^2, 0)`` (PCNet Eq. 11),
    averaged over the labelled samples that have a negative.

    For each labelled sample the anchor is its aggregated embedding f (after
    CSA), the positive is its own anchor-point embedding f' (before CSA), and
    the negative is the nearest anchor-point embedding f'_j of a labelled
    sample of another identity in the batch. Distances are squared L2.

    mmdet's ``TripletLoss`` mines the hardest positive and negative inside
    one set of embeddings, with unsquared distances and no unlabelled
    samples; here the positive is fixed (the sample's own f'), the negatives
    come from a second set (the f' of the batch) and unlabelled samples
    (id -1) take no part, which it cannot express.

    Args:
        margin (float): Margin sigma. Defaults to 0.5 (PCNet).
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self, margin: float = 0.5, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.margin = margin
        self.loss_weight = loss_weight

    def forward(self, embeddings: Tensor, anchor_embeddings: Tensor,
                person_ids: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            embeddings (Tensor): Aggregated embeddings f, L2-normalised, shape
                (N, D).
            anchor_embeddings (Tensor): Anchor-point embeddings f' of the same
                samples, L2-normalised, shape (N, D).
            person_ids (Tensor): Identity of each sample, -1 unlabelled, shape
                (N, ), long.

        Returns:
            Tensor: Scalar loss; zero, tied to both inputs, when no labelled
            sample has a labelled sample of another identity.
        """
        labelled = person_ids >= 0
        negatives = (labelled[:, None] & labelled[None, :]
                     & (person_ids[:, None] != person_ids[None, :]))  # (N, N)
        valid = labelled & negatives.any(dim=1)
        if not valid.any():
            return (embeddings.sum() + anchor_embeddings.sum()) * 0
        anchors = embeddings[valid]
        pos_dist = (anchors - anchor_embeddings[valid]).pow(2).sum(dim=1)
        all_dist = (anchors.pow(2).sum(dim=1, keepdim=True) +
                    anchor_embeddings.pow(2).sum(dim=1)[None] -
                    2 * anchors @ anchor_embeddings.t()).clamp(min=0)  # (V, N)
        neg_dist = all_dist.masked_fill(~negatives[valid], float('inf')).amin(dim=1)
        loss = F.relu(self.margin + pos_dist - neg_dist).mean()
        return self.loss_weight * loss
