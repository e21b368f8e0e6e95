"""RPN head reading one level of a multi-level backbone output."""
from typing import List, Tuple

from mmdet.models.dense_heads import RPNHead
from mmdet.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class SingleLevelRPNHead(RPNHead):
    """:class:`RPNHead` on a single feature map picked from the backbone
    outputs, for detectors whose backbone returns more levels than the RPN
    uses (BUFF: conv1..conv4 are returned, the RPN sits on conv4).

    Args:
        in_index (int): Index of the feature map the RPN reads. Defaults to
            -1 (the last one).
        **kwargs: Arguments of :class:`RPNHead`; ``anchor_generator`` must
            have a single stride.
    """

    def __init__(self, in_index: int = -1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.in_index = in_index

    def forward(self, x: Tuple[Tensor, ...]) -> Tuple[List[Tensor], ...]:
        """Score and regress anchors on ``x[in_index]``.

        Args:
            x (tuple[Tensor]): Backbone feature maps, each (B, C_l, H_l,
                W_l).

        Returns:
            tuple[list[Tensor]]: Class scores, shape (B, A * cls_channels,
            H, W), and box deltas, shape (B, A * 4, H, W), each in a
            one-level list.
        """
        return super().forward((x[self.in_index], ))
