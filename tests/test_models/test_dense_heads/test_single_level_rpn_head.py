"""SingleLevelRPNHead: mmdet's RPNHead on one picked level."""
import torch
from mmdet.models.dense_heads import RPNHead

from mmps.models import SingleLevelRPNHead

ANCHORS = dict(type='AnchorGenerator', scales=[4], ratios=[1.0], strides=[16])


def test_reads_only_its_level():
    torch.manual_seed(0)
    head = SingleLevelRPNHead(
        in_index=1, in_channels=8, feat_channels=8, anchor_generator=ANCHORS)
    plain = RPNHead(in_channels=8, feat_channels=8, anchor_generator=ANCHORS)
    plain.load_state_dict(head.state_dict())
    levels = (torch.rand(1, 4, 16, 16), torch.rand(1, 8, 4, 6), torch.rand(1, 2, 2, 3))
    scores, deltas = head(levels)
    ref_scores, ref_deltas = plain((levels[1], ))
    assert len(scores) == len(deltas) == 1
    assert scores[0].shape == (1, 1, 4, 6) and deltas[0].shape == (1, 4, 4, 6)
    assert torch.equal(scores[0], ref_scores[0])
    assert torch.equal(deltas[0], ref_deltas[0])


def test_default_is_the_last_level():
    head = SingleLevelRPNHead(in_channels=8, feat_channels=8, anchor_generator=ANCHORS)
    scores, _ = head((torch.rand(1, 4, 16, 16), torch.rand(1, 8, 3, 5)))
    assert scores[0].shape == (1, 1, 3, 5)
