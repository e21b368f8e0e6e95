"""Two-stream feature fusion of MGTS (Eq. 1)."""
import torch
from mmdet.models.layers import SELayer
from mmdet.utils import OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor


class SEFusion(BaseModule):
    """Concatenate the foreground and original streams along channels and
    re-weight the channels with a squeeze-and-excitation block: F' = F * w,
    w = sigmoid(W2 relu(W1 GAP(F))) (MGTS, Chen et al., ECCV 2018, Eq. 1).

    The block is mmdet's :class:`~mmdet.models.layers.SELayer` (1x1
    convolutions with biases, ReLU, sigmoid); this module only fixes the
    concatenation order (F then O) and exposes w for analysis (Fig. 6).

    Args:
        channels (int): Channels C of one stream. Defaults to 2048.
        ratio (int): Squeeze ratio of the SE block (not given by the
            paper; SENet's default). Defaults to 16.
        init_cfg (dict or list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self,
                 channels: int = 2048,
                 ratio: int = 16,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.channels = channels
        self.se = SELayer(2 * channels, ratio=ratio)

    def channel_weights(self, fg_feats: Tensor, orig_feats: Tensor) -> Tensor:
        """The SE weights w.

        Args:
            fg_feats (Tensor): F-stream maps F_F, shape (N, C, h, w).
            orig_feats (Tensor): O-stream maps F_O, shape (N, C, h, w).

        Returns:
            Tensor: w in [0, 1], shape (N, 2C): the first C weigh F_F.
        """
        feats = self._concat(fg_feats, orig_feats)
        return self.se.conv2(self.se.conv1(self.se.global_avgpool(feats))).flatten(1)

    def forward(self, fg_feats: Tensor, orig_feats: Tensor) -> Tensor:
        """Fuse the two streams.

        Args:
            fg_feats (Tensor): F-stream maps F_F, shape (N, C, h, w).
            orig_feats (Tensor): O-stream maps F_O, shape (N, C, h, w).

        Returns:
            Tensor: F', shape (N, 2C, h, w).
        """
        return self.se(self._concat(fg_feats, orig_feats))

    def _concat(self, fg_feats: Tensor, orig_feats: Tensor) -> Tensor:
        if fg_feats.shape != orig_feats.shape or fg_feats.size(1) != self.channels:
            raise ValueError(
                f'SEFusion({self.channels}) needs two (N, {self.channels}, h, w) '
                f'maps, got {tuple(fg_feats.shape)} and {tuple(orig_feats.shape)}')
        return torch.cat([fg_feats, orig_feats], dim=1)
