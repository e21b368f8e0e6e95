"""RPN head whose anchor scales travel with its checkpoint."""
import math
from typing import List, Tuple

import torch
from mmdet.models.dense_heads import RPNHead
from mmdet.registry import MODELS
from mmdet.utils import ConfigType
from torch import Tensor

from mmps.utils.anchor_scales import parse_scales_spec

NOT_SET = (
    'the RPN anchor scales are not set: the config asks for them from the training '
    'heights (anchor_generator.scales=dict(type=\'height_percentiles\', ...)); load a '
    'checkpoint trained with them, train with tools/train.py (which fills them), or '
    'give them as a list (tools/analysis_tools/anchor_scales.py CONFIG prints one)')


@MODELS.register_module()
class PersistentAnchorRPNHead(RPNHead):
    """:class:`RPNHead` whose anchor scales are a persistent buffer,
    ``anchor_scales``, saved in and loaded from checkpoints.

    mmdet's ``AnchorGenerator`` is a plain object built from config numbers:
    its scales are no module state, so a checkpoint does not hold them and a
    model must be rebuilt from the very numbers it was trained with. When
    those numbers come from the training data (MGTS's CNNv:
    :func:`mmps.utils.fill_anchor_scales` fills them before training), the
    inference config only holds the request for them. This head builds from
    either config, keeps the scales in its state dict and rebuilds the
    generator's base anchors whenever a state dict is loaded, so a trained
    checkpoint predicts the same in a model built from the unfilled config,
    without the data.

    Built from the request, the scales are NaN until a checkpoint sets them,
    and any forward pass raises a one-line error: the head never falls back
    to other scales.

    Args:
        anchor_generator (dict): mmdet anchor generator config; its
            ``scales`` is a list, or the request
            ``dict(type='height_percentiles', percentiles=(lo, hi), num=N)``
            (N scales, still to be filled).
        **kwargs: The other arguments of :class:`RPNHead`.
    """

    def __init__(self, anchor_generator: ConfigType, **kwargs) -> None:
        request = parse_scales_spec(anchor_generator.get('scales'))
        if request is not None:
            anchor_generator = dict(anchor_generator, scales=[math.nan] * request[1])
        super().__init__(anchor_generator=anchor_generator, **kwargs)
        self.register_buffer('anchor_scales', self.prior_generator.scales.clone())
        self._scales_set = request is None

    @property
    def scales_set(self) -> bool:
        """Whether the anchor scales are known (given or loaded)."""
        return self._scales_set

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args,
                              **kwargs) -> None:
        """Load the buffers and parameters, then rebuild the generator's
        base anchors from the loaded ``anchor_scales``."""
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        scales = self.anchor_scales.detach().float().cpu().clone()
        self.prior_generator.scales = scales
        self.prior_generator.base_anchors = self.prior_generator.gen_base_anchors()
        self._scales_set = not bool(torch.isnan(scales).any())

    def forward(self, x: Tuple[Tensor, ...]) -> Tuple[List[Tensor], ...]:
        """Score and regress the anchors of each level (:class:`RPNHead`).

        Args:
            x (tuple[Tensor]): Feature maps, each (B, C, H_l, W_l).

        Returns:
            tuple[list[Tensor]]: Class scores (B, A, H_l, W_l) and box deltas
            (B, A * 4, H_l, W_l) per level, A the anchors per location.

        Raises:
            RuntimeError: The scales are still to be filled.
        """
        if not self._scales_set:
            raise RuntimeError(NOT_SET)
        return super().forward(x)
