"""VGG-16 trunk of the CNNv pedestrian detector of MGTS."""
from typing import Sequence, Tuple

from mmcv.cnn import VGG
from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor


@MODELS.register_module()
class VGGBackbone(VGG, BaseModule):
    """:class:`mmcv.cnn.VGG` as an mmdet backbone: a tuple of maps out,
    ``init_cfg`` in.

    mmcv's VGG returns a bare tensor for one output and loads weights only
    through ``init_weights(pretrained)``; this subclass always returns a
    tuple and initialises through mmengine's ``init_cfg``. Its parameters
    keep VGG's names (``features.<i>``, those of torchvision's VGG-16), so
    ``init_cfg=dict(type='Pretrained', checkpoint=<torchvision VGG-16 URL>)``
    loads the convolutions directly.

    The defaults are CNNv's (MGTS, Chen et al., ECCV 2018, Sec. 4.3): VGG-16
    up to ``conv5_3`` (with its ReLU; no last pooling), 512 channels at
    stride 16, ``conv1`` and ``conv2`` frozen.

    Args:
        depth (int): VGG depth. Defaults to 16.
        out_indices (Sequence[int]): Stages whose output is returned.
            Defaults to (4, ) (``conv5_3``).
        frozen_stages (int): Stages frozen in training. Defaults to 2.
        with_last_pool (bool): Keep the pooling after the last stage.
            Defaults to False.
        init_cfg (dict or list[dict], optional): Initialisation config.
            Defaults to None.
        **kwargs: Other arguments of :class:`mmcv.cnn.VGG`.
    """

    def __init__(self,
                 depth: int = 16,
                 out_indices: Sequence[int] = (4, ),
                 frozen_stages: int = 2,
                 with_last_pool: bool = False,
                 init_cfg: OptMultiConfig = None,
                 **kwargs) -> None:
        super().__init__(
            depth=depth,
            out_indices=out_indices,
            frozen_stages=frozen_stages,
            with_last_pool=with_last_pool,
            **kwargs)
        self.init_cfg = init_cfg

    def init_weights(self) -> None:
        """Initialise from ``init_cfg`` (mmengine), not mmcv's VGG
        ``init_weights(pretrained)``."""
        BaseModule.init_weights(self)

    def train(self, mode: bool = True) -> 'VGGBackbone':
        """Set the mode, keeping the frozen stages frozen (mmcv's VGG),
        and return the module as ``nn.Module.train`` does (mmcv's returns
        None, which breaks ``model.eval()`` chains)."""
        super().train(mode)
        return self

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Run the network.

        Args:
            x (Tensor): Images, shape (B, 3, H, W).

        Returns:
            tuple[Tensor]: Outputs of the stages in ``out_indices``; with
            the defaults ``(conv5_3, )`` of shape (B, 512, H/16, W/16).
        """
        outs = super().forward(x)
        return outs if isinstance(outs, tuple) else (outs, )
